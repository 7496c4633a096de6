import type { CatalogTemplate } from '../../../domain/whatsapp/templates';

/**
 * The message templates every sandbox connection has, so the demo and the tests can run a template
 * campaign without Meta. They cover each kind of slot: none (`hello_world`, Meta's own default
 * template), text header + body + URL button (`order_update`), media header (`promo_image`), named
 * parameters (`welcome_named`), and one that is not approved (`old_promo`, paused). The sandbox
 * sends whatever template it is given and records it as rendered; the campaign checks do the rest.
 */
export const SANDBOX_TEMPLATES: readonly CatalogTemplate[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    parameterFormat: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      {
        type: 'BODY',
        text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
      },
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
  },
  {
    name: 'order_update',
    language: 'pt_BR',
    category: 'UTILITY',
    status: 'APPROVED',
    parameterFormat: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Pedido {{1}}' },
      { type: 'BODY', text: 'Olá {{1}}, seu pedido para {{2}} saiu para entrega.' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Acompanhar', url: 'https://loja.example/pedidos/{{1}}' },
          { type: 'QUICK_REPLY', text: 'Parar de receber' },
        ],
      },
    ],
  },
  {
    name: 'order_update',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    parameterFormat: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
      { type: 'BODY', text: 'Hi {{1}}, your order to {{2}} is on its way.' },
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://shop.example/orders/{{1}}' }] },
    ],
  },
  {
    name: 'promo_image',
    language: 'pt_BR',
    category: 'MARKETING',
    status: 'APPROVED',
    parameterFormat: 'POSITIONAL',
    components: [
      { type: 'HEADER', format: 'IMAGE' },
      { type: 'BODY', text: '{{1}}, chegaram novidades na loja de {{2}}!' },
    ],
  },
  {
    name: 'welcome_named',
    language: 'pt_BR',
    category: 'MARKETING',
    status: 'APPROVED',
    parameterFormat: 'NAMED',
    components: [{ type: 'BODY', text: 'Olá {{first_name}}, seu cupom é {{coupon}}.' }],
  },
  {
    name: 'old_promo',
    language: 'pt_BR',
    category: 'MARKETING',
    status: 'PAUSED',
    parameterFormat: 'POSITIONAL',
    components: [{ type: 'BODY', text: 'Promoção de {{1}}' }],
  },
];
