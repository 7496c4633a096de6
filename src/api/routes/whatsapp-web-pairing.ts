import QRCode from 'qrcode';
import {
  cancelWhatsAppWebPairing,
  currentPairing,
  requestPairingCode,
} from '../../application/connections/whatsapp-web-pairing';
import type { ApiContext } from '../api-context';
import { companyOf } from '../auth';
import type { ApiRouter } from '../operation';
import { PAIRING_PAGE } from '../pairing-page';
import { PairingView } from '../responses';
import { IdParams, PairingCodeBody } from '../schemas';

const TAG = 'Connections';
const problems = {
  404: 'no such connection (or another company’s)',
  409: 'not a whatsapp-web connection, or not being paired',
};

/** WhatsApp Web pairing: the QR (or a pairing code) until the phone links the number, and cancelling it. */
export function whatsappWebPairingRoutes(api: ApiRouter, { pipeline }: ApiContext): void {
  const view = async (companyId: string, connectionId: string) => {
    const { connection, pairing } = await currentPairing(pipeline, companyId, connectionId);
    const pairingNow = connection.status === 'pairing' ? pairing : null;
    const qr = pairingNow?.qr ?? null;
    return {
      connectionId,
      status: connection.status,
      qr,
      qrSvg: qr ? await QRCode.toString(qr, { type: 'svg', errorCorrectionLevel: 'L', margin: 2 }) : null,
      qrAt: pairingNow?.qrAt ?? null,
      qrRotations: pairingNow?.qrCount ?? 0,
      phone: pairingNow?.phone ?? null,
      code: pairingNow?.code ?? null,
      codeAt: pairingNow?.codeAt ?? null,
      error: pairingNow?.error ?? null,
      page: `/connections/pair#id=${connectionId}`,
    };
  };

  api.define(
    {
      method: 'get',
      path: '/v1/connections/:id/pairing',
      tag: TAG,
      access: 'company',
      summary: 'A whatsapp-web number’s current pairing QR (text and SVG) or pairing code',
      description:
        'Poll it (the QR rotates about every 20 s); `status` turns `connected` once the phone links the number.',
      params: IdParams,
      responses: { 200: { description: 'the pairing', schema: PairingView }, ...problems },
    },
    async (ctx, { params }) => {
      ctx.body = await view(companyOf(ctx), params.id);
    },
  );

  api.define(
    {
      method: 'post',
      path: '/v1/connections/:id/pairing',
      tag: TAG,
      access: 'company',
      summary: 'Link with a pairing code typed on the phone instead of the QR',
      description:
        'The code appears in GET …/pairing within seconds (asked of WhatsApp by the worker holding the socket).',
      params: IdParams,
      body: PairingCodeBody,
      responses: { 202: { description: 'the pairing', schema: PairingView }, ...problems },
    },
    async (ctx, { params, body }) => {
      const companyId = companyOf(ctx);
      await requestPairingCode(pipeline, companyId, params.id, body.phone);
      ctx.status = 202;
      ctx.body = await view(companyId, params.id);
    },
  );

  api.define(
    {
      method: 'delete',
      path: '/v1/connections/:id/pairing',
      tag: TAG,
      access: 'company',
      summary: 'Cancel a pairing not linked yet: the connection and its session are removed',
      params: IdParams,
      responses: { 204: { description: 'cancelled' }, ...problems },
    },
    async (ctx, { params }) => {
      await cancelWhatsAppWebPairing(pipeline, companyOf(ctx), params.id);
      ctx.status = 204;
    },
  );
}

export function pairingPageRoutes(api: ApiRouter): void {
  api.define(
    {
      method: 'get',
      path: '/connections/pair',
      tag: TAG,
      access: 'public',
      summary:
        'The page that shows a whatsapp-web number’s QR live (HTML; `#id=<connection id>&key=<API key>` in the URL fragment)',
      responses: { 200: { description: 'the page', contentType: 'text/html' } },
    },
    (ctx) => {
      ctx.set('content-security-policy', PAIRING_PAGE.contentSecurityPolicy);
      ctx.set('referrer-policy', 'no-referrer');
      ctx.set('cache-control', 'no-store');
      ctx.set('x-content-type-options', 'nosniff');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = PAIRING_PAGE.html;
    },
  );
}
