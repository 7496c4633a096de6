import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type CampaignTemplate,
  type CatalogTemplate,
  checkMapping,
  customPlaceholders,
  emptyParameterReason,
  emptyParameters,
  findTemplate,
  renderTemplateMessage,
  templateShape,
} from '../../src/domain/whatsapp/templates';
import { catalogTemplateOf } from '../../src/infrastructure/gateways/cloud-api/cloud-api-gateway';

const orderUpdate: CatalogTemplate = {
  name: 'order_update',
  language: 'pt_BR',
  category: 'UTILITY',
  status: 'APPROVED',
  parameterFormat: 'POSITIONAL',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Pedido {{1}}' },
    { type: 'BODY', text: 'Olá {{1}}, seu pedido para {{2}} saiu. Obrigado, {{1}}!' },
    { type: 'FOOTER', text: 'Loja' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Parar' },
        { type: 'URL', text: 'Acompanhar', url: 'https://loja.example/p/{{1}}' },
        { type: 'URL', text: 'Site', url: 'https://loja.example' },
        { type: 'COPY_CODE', text: 'Copiar cupom' },
      ],
    },
  ],
};

describe('template slots from components', () => {
  test('header and body variables (each once), dynamic URL and copy-code buttons by index', () => {
    const shape = templateShape(orderUpdate);
    assert.deepEqual(shape.slots, [
      { section: 'header', key: '1', kind: 'text' },
      { section: 'body', key: '1', kind: 'text' },
      { section: 'body', key: '2', kind: 'text' },
      { section: 'buttons', key: '1', kind: 'url' },
      { section: 'buttons', key: '3', kind: 'coupon_code' },
    ]);
    assert.equal(shape.headerMedia, null);
    assert.equal(shape.named, false);
    assert.equal(shape.unsupported, null);
  });

  test('media headers need a link; a location header cannot be sent; named parameters keep their names', () => {
    const image = templateShape({
      parameterFormat: 'POSITIONAL',
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: 'Oi' },
      ],
    });
    assert.equal(image.headerMedia, 'image');
    assert.deepEqual(image.slots, []);
    assert.match(
      templateShape({ parameterFormat: 'POSITIONAL', components: [{ type: 'HEADER', format: 'LOCATION' }] })
        .unsupported ?? '',
      /location/,
    );
    const named = templateShape({
      parameterFormat: 'NAMED',
      components: [{ type: 'BODY', text: 'Olá {{first_name}}, cupom {{ coupon }}' }],
    });
    assert.equal(named.named, true);
    assert.deepEqual(
      named.slots.map((slot) => slot.key),
      ['first_name', 'coupon'],
    );
  });

  test("Meta's message_templates entries are read as given, junk dropped", () => {
    const read = catalogTemplateOf({
      name: 'order_update',
      language: 'pt_BR',
      status: 'APPROVED',
      category: 'UTILITY',
      id: '594425479261596',
      components: [
        { type: 'BODY', text: 'Olá {{1}}', example: { body_text: [['Ana']] } },
        { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Ver', url: 'https://x.example/{{1}}' }, 7] },
        'junk',
      ],
    });
    assert.deepEqual(read, {
      name: 'order_update',
      language: 'pt_BR',
      category: 'UTILITY',
      status: 'APPROVED',
      parameterFormat: 'POSITIONAL',
      components: [
        { type: 'BODY', text: 'Olá {{1}}' },
        { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Ver', url: 'https://x.example/{{1}}' }] },
      ],
    });
    assert.equal(catalogTemplateOf({ language: 'pt_BR' }), null);
    assert.equal(catalogTemplateOf('x'), null);
  });
});

describe('template campaign validation', () => {
  const catalogue: CatalogTemplate[] = [
    orderUpdate,
    { ...orderUpdate, language: 'en_US' },
    { ...orderUpdate, name: 'old_promo', status: 'PAUSED' },
  ];

  test('the template must exist, in that language, and be approved', () => {
    assert.ok('template' in findTemplate(catalogue, { name: 'order_update', language: 'pt_BR' }));
    assert.deepEqual(findTemplate(catalogue, { name: 'nope', language: 'pt_BR' }), {
      problem: { field: 'template.name', message: 'the connection has no template named nope' },
    });
    const language = findTemplate(catalogue, { name: 'order_update', language: 'es' });
    assert.ok('problem' in language);
    assert.equal(language.problem.field, 'template.language');
    assert.match(language.problem.message, /has no es translation \(it has pt_BR, en_US\)/);
    const paused = findTemplate(catalogue, { name: 'old_promo', language: 'pt_BR' });
    assert.ok('problem' in paused);
    assert.match(paused.problem.message, /is PAUSED: only APPROVED/);
  });

  test('every slot filled, none invented, a media link exactly when the header wants one', () => {
    const shape = templateShape(orderUpdate);
    const full = {
      name: 'order_update',
      language: 'pt_BR',
      components: {
        header: { 1: '{order}' },
        body: { 1: '{name}', 2: 'São Paulo' },
        buttons: { 1: '{order}', 3: 'X' },
      },
    };
    assert.deepEqual(checkMapping(shape, full), []);
    const problems = checkMapping(shape, {
      ...full,
      components: { header: { 1: '{order}' }, body: { 1: '{name}', 2: '  ', 7: 'x' }, buttons: { 3: 'X' } },
      headerMediaUrl: 'https://cdn.example/a.png',
    });
    assert.deepEqual(
      problems.map((problem) => problem.field),
      [
        'template.components.body.2',
        'template.components.buttons.1',
        'template.components.body.7',
        'template.headerMediaUrl',
      ],
    );
    const image = templateShape({ parameterFormat: 'POSITIONAL', components: [{ type: 'HEADER', format: 'VIDEO' }] });
    assert.deepEqual(
      checkMapping(image, { name: 'x', language: 'pt_BR', components: {} }).map((problem) => problem.field),
      ['template.headerMediaUrl'],
    );
  });

  test('custom placeholders are listed with the slot using them; name and phone need no field', () => {
    assert.deepEqual(
      customPlaceholders({
        name: 'x',
        language: 'pt_BR',
        components: { body: { 1: '{name} de {city}', 2: '{phone}' }, buttons: { 0: '{order}' } },
      }),
      [
        { field: 'template.components.body.1', placeholder: 'city' },
        { field: 'template.components.buttons.0', placeholder: 'order' },
      ],
    );
  });
});

describe('rendering a template for one contact', () => {
  test("Meta's components: header, body, then each button with its index; a readable body", () => {
    const template: CampaignTemplate = {
      name: 'order_update',
      language: 'pt_BR',
      category: 'UTILITY',
      components: {
        header: { 1: '#{order}' },
        body: { 1: '{name}', 2: '{city}' },
        buttons: { 1: '{order}', 3: 'VOLTA10' },
      },
      shape: templateShape(orderUpdate),
    };
    const { message, text } = renderTemplateMessage(template, {
      name: 'Ana',
      phone: '+5511987654321',
      fields: { city: 'Recife', order: 4512 },
    });
    assert.deepEqual(message, {
      name: 'order_update',
      language: 'pt_BR',
      components: [
        { type: 'header', parameters: [{ type: 'text', text: '#4512' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'text', text: 'Recife' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: '4512' }] },
        {
          type: 'button',
          sub_type: 'coupon_code',
          index: '3',
          parameters: [{ type: 'coupon_code', coupon_code: 'VOLTA10' }],
        },
      ],
    });
    assert.equal(text, 'Olá Ana, seu pedido para Recife saiu. Obrigado, Ana!');
  });

  test('a media header sends its link; named parameters carry parameter_name; no slots, no components', () => {
    const media = renderTemplateMessage(
      {
        name: 'promo',
        language: 'pt_BR',
        category: 'MARKETING',
        components: { body: { first_name: '{name}' } },
        headerMediaUrl: 'https://cdn.example/p.jpg',
        shape: templateShape({
          parameterFormat: 'NAMED',
          components: [
            { type: 'HEADER', format: 'IMAGE' },
            { type: 'BODY', text: 'Oi {{first_name}}' },
          ],
        }),
      },
      { name: 'Bia', phone: '+5511900000000' },
    );
    assert.deepEqual(media.message.components, [
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example/p.jpg' } }] },
      { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Bia' }] },
    ]);
    assert.equal(media.text, 'Oi Bia');
    const plain = renderTemplateMessage(
      {
        name: 'hello_world',
        language: 'en_US',
        category: 'UTILITY',
        components: {},
        shape: templateShape({ parameterFormat: 'POSITIONAL', components: [{ type: 'BODY', text: 'Hello' }] }),
      },
      { phone: '+5511900000000' },
    );
    assert.deepEqual(plain.message, { name: 'hello_world', language: 'en_US' });
    assert.equal(plain.text, 'Hello');
  });
});

describe('empty template parameters', () => {
  const template = {
    name: 'order_update',
    language: 'pt_BR',
    components: {
      header: { 1: '{order}' },
      body: { 1: '{name}', 2: 'Cidade: {city}' },
      buttons: { 1: '{order}', 3: 'X1' },
    },
    shape: templateShape(orderUpdate),
  };

  test('a slot whose placeholders all come out empty is named, with its placeholders; text around one keeps it', () => {
    assert.deepEqual(emptyParameters(template, { name: 'Ana', phone: '+5511900000000', fields: { order: '7' } }), []);
    const empty = emptyParameters(template, { name: ' ', phone: '+5511900000000', fields: { order: '', city: '' } });
    assert.deepEqual(empty, [
      { field: 'template.components.header.1', placeholders: ['order'] },
      { field: 'template.components.body.1', placeholders: ['name'] },
      { field: 'template.components.buttons.1', placeholders: ['order'] },
    ]);
    assert.equal(
      emptyParameterReason(empty.slice(1, 2)),
      'TEMPLATE_PARAMETER_EMPTY: template.components.body.1 ({name}) is empty for this contact',
    );
    assert.match(emptyParameterReason(empty), /header\.1 \(\{order\}\); .* are empty for this contact$/);
  });

  test('a fallback constant stands in for an empty value (never for a given one); unused or blank fallbacks are refused', () => {
    const withFallback = { ...template, fallbacks: { order: 'sem número', name: 'cliente' } };
    const contact = { name: ' ', phone: '+5511900000000', fields: { order: '', city: 'Natal' } };
    assert.deepEqual(emptyParameters(withFallback, contact), []);
    const rendered = renderTemplateMessage({ ...withFallback, category: 'UTILITY' }, contact);
    const body = rendered.message.components?.find((component) => component.type === 'body') as any;
    assert.deepEqual(
      body.parameters.map((parameter: any) => parameter.text),
      ['cliente', 'Cidade: Natal'],
    );
    const given = renderTemplateMessage({ ...withFallback, category: 'UTILITY' }, { ...contact, name: 'Ana' });
    const givenBody = given.message.components?.find((component) => component.type === 'body') as any;
    assert.equal(givenBody.parameters[0].text, 'Ana');
    const shape = templateShape(orderUpdate);
    const mapping = { name: 'order_update', language: 'pt_BR', components: template.components };
    assert.deepEqual(
      checkMapping(shape, { ...mapping, fallbacks: { state: 'SP', city: ' ' } }).map((problem) => problem.field),
      ['template.fallbacks.state', 'template.fallbacks.city'],
    );
  });
});
