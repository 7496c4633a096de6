import assert from 'node:assert/strict';
import type { LocalCloudApi } from './cloud-api-provider';
import { ADMIN_KEY, type TestSystem } from './system';

/**
 * A company whose one connection is a Cloud API number served by `provider` (a local server speaking
 * the Cloud API), and a list holding `phones`. The start-up the Cloud API tests share.
 */
export async function seedCloudApiCompany(
  system: TestSystem,
  provider: LocalCloudApi,
  options: {
    name: string;
    pacing: { messageInterval: number; longerIntervalAfter: number; greaterInterval: number };
    phoneNumberId: string;
    accessToken: string;
    appSecret: string;
    verifyToken: string;
    phones: string[];
  },
) {
  const company = await system.api('POST', '/v1/companies', { name: options.name, pacing: options.pacing }, ADMIN_KEY);
  const key = company.body.apiKey as string;
  const connection = await system.api(
    'POST',
    '/v1/connections',
    {
      name: 'Número oficial',
      gateway: 'cloud-api',
      cloudApi: {
        phoneNumberId: options.phoneNumberId,
        accessToken: options.accessToken,
        apiVersion: 'v23.0',
        baseUrl: provider.url,
        appSecret: options.appSecret,
        verifyToken: options.verifyToken,
      },
    },
    key,
  );
  assert.equal(connection.status, 201, JSON.stringify(connection.body));
  const list = await system.api('POST', '/v1/contact-lists', { name: 'Clientes' }, key);
  await system.api(
    'POST',
    `/v1/contact-lists/${list.body.id}/contacts`,
    { contacts: options.phones.map((phone, i) => ({ phone, name: `Cliente ${i}` })) },
    key,
  );
  return {
    key,
    companyId: company.body.company.id as string,
    connectionId: connection.body.id as string,
    connection: connection.body,
    listId: list.body.id as string,
  };
}
