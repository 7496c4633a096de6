import { type ContactFields, placeholdersOf, renderTemplate } from '../campaigns/personalise';

/**
 * WhatsApp message templates: what a business account's catalogue holds (as Meta's
 * `GET /{waba-id}/message_templates` describes each one), which parameter slots a template has, how
 * a campaign maps each slot to a constant or a contact placeholder, and the parameters rendered for
 * one contact in the shape of Meta's send request. Pure: no I/O.
 */

/** One component of a template as Meta describes it (HEADER, BODY, FOOTER, BUTTONS). */
export interface TemplateComponentDef {
  type: string;
  /** HEADER only: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION. */
  format?: string;
  text?: string;
  /** BUTTONS only. */
  buttons?: Array<{ type: string; text?: string; url?: string }>;
}

/** One translation of a template in the catalogue (name + language is unique). */
export interface CatalogTemplate {
  name: string;
  language: string;
  /** MARKETING, UTILITY or AUTHENTICATION. */
  category: string;
  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED, … only APPROVED ones can be sent. */
  status: string;
  /** NAMED templates use `{{first_name}}`, POSITIONAL ones `{{1}}`. */
  parameterFormat: 'POSITIONAL' | 'NAMED';
  components: TemplateComponentDef[];
}

export const TEMPLATE_SECTIONS = ['header', 'body', 'buttons'] as const;
export type TemplateSection = (typeof TEMPLATE_SECTIONS)[number];

/**
 * A value a template needs at send time. `key` is the parameter's name (`1`, `2` or `first_name`)
 * in the header and body, the button's index (`0`, `1`, …) for a button.
 */
export interface TemplateSlot {
  section: TemplateSection;
  key: string;
  /** `text`: a text parameter; `url`: the dynamic end of a URL button; `coupon_code`: a copy-code button. */
  kind: 'text' | 'url' | 'coupon_code';
}

export const HEADER_MEDIA = ['image', 'video', 'document'] as const;
export type HeaderMedia = (typeof HEADER_MEDIA)[number];

/** What a template needs, read once from the catalogue and kept on the campaign that uses it. */
export interface TemplateShape {
  slots: TemplateSlot[];
  /** The header's media type when the header is an image, video or document (its link is the campaign's). */
  headerMedia: HeaderMedia | null;
  /** The body's text, to keep a readable copy of what each contact was sent. */
  bodyText: string | null;
  named: boolean;
  /** Why the template cannot be sent by Disparo at all (a location header), or null. */
  unsupported: string | null;
}

/** How a campaign fills a template: each slot gets a constant or text with contact placeholders (`{name}`). */
export interface TemplateMapping {
  name: string;
  language: string;
  components: Partial<Record<TemplateSection, Record<string, string>>>;
  headerMediaUrl?: string | null;
  /**
   * Per contact placeholder, a constant used for a contact whose value is empty (`{"city": "sua
   * cidade"}`): without one, such a contact's shipping fails (TEMPLATE_PARAMETER_EMPTY).
   */
  fallbacks?: Record<string, string> | null;
}

/** A mapping together with the template's shape when it was last checked: all preparation needs. */
export interface CampaignTemplate extends TemplateMapping {
  category: string;
  shape: TemplateShape;
}

const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

function variablesOf(text: string | undefined): string[] {
  return [...new Set([...(text ?? '').matchAll(VARIABLE)].map((match) => match[1]!))];
}

/** The slots of a template, from its components: header and body variables, then dynamic buttons. */
export function templateShape(template: Pick<CatalogTemplate, 'components' | 'parameterFormat'>): TemplateShape {
  const byType = (type: string) => template.components.find((component) => component.type.toUpperCase() === type);
  const header = byType('HEADER');
  const body = byType('BODY');
  const buttons = byType('BUTTONS')?.buttons ?? [];
  const slots: TemplateSlot[] = [];
  let headerMedia: HeaderMedia | null = null;
  let unsupported: string | null = null;
  if (header) {
    const format = (header.format ?? 'TEXT').toLowerCase();
    if (format === 'text')
      for (const key of variablesOf(header.text)) slots.push({ section: 'header', key, kind: 'text' });
    else if ((HEADER_MEDIA as readonly string[]).includes(format)) headerMedia = format as HeaderMedia;
    else unsupported = `its header is a ${format}, which Disparo cannot send`;
  }
  for (const key of variablesOf(body?.text)) slots.push({ section: 'body', key, kind: 'text' });
  buttons.forEach((button, index) => {
    const type = button.type.toUpperCase();
    if (type === 'URL' && variablesOf(button.url).length > 0)
      slots.push({ section: 'buttons', key: String(index), kind: 'url' });
    if (type === 'COPY_CODE') slots.push({ section: 'buttons', key: String(index), kind: 'coupon_code' });
  });
  return {
    slots,
    headerMedia,
    bodyText: body?.text ?? null,
    named: template.parameterFormat === 'NAMED',
    unsupported,
  };
}

export interface FieldProblem {
  /** Relative to the campaign body: `template.components.body.2`. */
  field: string;
  message: string;
}

/** The template a mapping names, or why it cannot be used: the first check of a template campaign. */
export function findTemplate(
  catalogue: readonly CatalogTemplate[],
  mapping: Pick<TemplateMapping, 'name' | 'language'>,
): { template: CatalogTemplate } | { problem: FieldProblem } {
  const named = catalogue.filter((template) => template.name === mapping.name);
  if (named.length === 0)
    return { problem: { field: 'template.name', message: `the connection has no template named ${mapping.name}` } };
  const template = named.find((candidate) => candidate.language === mapping.language);
  if (!template) {
    const languages = named.map((candidate) => candidate.language).join(', ');
    return {
      problem: {
        field: 'template.language',
        message: `template ${mapping.name} has no ${mapping.language} translation (it has ${languages})`,
      },
    };
  }
  if (template.status !== 'APPROVED')
    return {
      problem: {
        field: 'template.name',
        message: `template ${mapping.name} (${mapping.language}) is ${template.status}: only APPROVED templates can be sent`,
      },
    };
  return { template };
}

const slotField = (section: string, key: string) => `template.components.${section}.${key}`;

/**
 * Checks a mapping against the template's shape: every slot filled (none left empty), no value for
 * a slot the template lacks, a header media link exactly when the header wants one.
 */
export function checkMapping(shape: TemplateShape, mapping: TemplateMapping): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (shape.unsupported)
    problems.push({ field: 'template.name', message: `the template cannot be used: ${shape.unsupported}` });
  const wanted = new Set(shape.slots.map((slot) => `${slot.section}.${slot.key}`));
  for (const slot of shape.slots) {
    const value = mapping.components[slot.section]?.[slot.key];
    if (value === undefined || value.trim() === '')
      problems.push({
        field: slotField(slot.section, slot.key),
        message:
          slot.section === 'buttons'
            ? `button ${slot.key} needs a value (${slot.kind === 'url' ? 'the end of its URL' : 'the code to copy'})`
            : `the template's ${slot.section} has {{${slot.key}}}: give it a constant or a placeholder such as {name}`,
      });
  }
  for (const section of Object.keys(mapping.components) as TemplateSection[]) {
    for (const key of Object.keys(mapping.components[section] ?? {})) {
      if (!wanted.has(`${section}.${key}`))
        problems.push({
          field: slotField(section, key),
          message: `the template has no such parameter in its ${section}`,
        });
    }
  }
  const used = new Set(
    TEMPLATE_SECTIONS.flatMap((section) => Object.values(mapping.components[section] ?? {}).flatMap(placeholdersOf)),
  );
  for (const [placeholder, value] of Object.entries(mapping.fallbacks ?? {})) {
    if (!used.has(placeholder))
      problems.push({ field: `template.fallbacks.${placeholder}`, message: `no parameter uses {${placeholder}}` });
    else if (value.trim() === '')
      problems.push({ field: `template.fallbacks.${placeholder}`, message: 'a fallback cannot be empty' });
  }
  if (shape.headerMedia && !mapping.headerMediaUrl)
    problems.push({
      field: 'template.headerMediaUrl',
      message: `the template's header is a ${shape.headerMedia}: give its link`,
    });
  if (!shape.headerMedia && mapping.headerMediaUrl)
    problems.push({ field: 'template.headerMediaUrl', message: 'the template has no media header' });
  return problems;
}

/** Contact fields every contact has, whatever its list. */
const BUILT_IN_FIELDS = new Set(['name', 'phone']);

/** Each contact placeholder the mapping uses (custom fields only), with the slot that uses it. */
export function customPlaceholders(mapping: TemplateMapping): Array<{ field: string; placeholder: string }> {
  const used: Array<{ field: string; placeholder: string }> = [];
  for (const section of TEMPLATE_SECTIONS) {
    for (const [key, value] of Object.entries(mapping.components[section] ?? {})) {
      for (const placeholder of placeholdersOf(value))
        if (!BUILT_IN_FIELDS.has(placeholder)) used.push({ field: slotField(section, key), placeholder });
    }
  }
  return used;
}

/** The contact with the mapping's fallback constants in place of its empty values. */
function withFallbacks(contact: ContactFields, fallbacks: TemplateMapping['fallbacks']): ContactFields {
  if (!fallbacks) return contact;
  const blank = (value: unknown) => value === undefined || value === null || String(value).trim() === '';
  const fields = { ...contact.fields };
  let name = contact.name;
  for (const [placeholder, value] of Object.entries(fallbacks)) {
    if (placeholder === 'name') {
      if (blank(name)) name = value;
    } else if (blank(fields[placeholder])) fields[placeholder] = value;
  }
  return { ...contact, name, fields };
}

/** Why a contact's template message is not sent: a parameter filled from its fields came out empty. */
export const TEMPLATE_PARAMETER_EMPTY = 'TEMPLATE_PARAMETER_EMPTY';

/**
 * The slots whose value comes out empty for this contact (its `{city}` blank or absent), with the
 * placeholders they use. Meta refuses a template with an empty parameter (131008), so such a
 * contact's shipping fails at preparation instead, before any provider call. A slot that still
 * has text around an empty placeholder (`Cidade: {city}`) is sent as it is; a placeholder with a
 * fallback constant in the mapping is never empty.
 */
export function emptyParameters(
  template: TemplateMapping & { shape: Pick<TemplateShape, 'slots'> },
  contact: ContactFields,
): Array<{ field: string; placeholders: string[] }> {
  const empty: Array<{ field: string; placeholders: string[] }> = [];
  const filled = withFallbacks(contact, template.fallbacks);
  for (const slot of template.shape.slots) {
    const value = template.components[slot.section]?.[slot.key] ?? '';
    const placeholders = placeholdersOf(value);
    if (placeholders.length > 0 && renderTemplate(value, filled).trim() === '')
      empty.push({ field: slotField(slot.section, slot.key), placeholders });
  }
  return empty;
}

/** The reason kept on such a shipping: `TEMPLATE_PARAMETER_EMPTY: template.components.body.3 ({city}) is empty for this contact`. */
export function emptyParameterReason(empty: ReadonlyArray<{ field: string; placeholders: string[] }>): string {
  const slots = empty.map((slot) => `${slot.field} (${slot.placeholders.map((key) => `{${key}}`).join(', ')})`);
  return `${TEMPLATE_PARAMETER_EMPTY}: ${slots.join('; ')} ${slots.length > 1 ? 'are' : 'is'} empty for this contact`;
}

/** A template as a send request carries it (the gateway's MessageTemplate). */
export interface RenderedTemplate {
  name: string;
  language: string;
  components?: Array<Record<string, unknown>>;
}

/** Meta's `components` of a send request, rendered for one contact, and a readable copy of the body. */
export function renderTemplateMessage(
  template: CampaignTemplate,
  contact: ContactFields,
): { message: RenderedTemplate; text: string } {
  const { shape } = template;
  const filled = withFallbacks(contact, template.fallbacks);
  const parameterValue = (slot: TemplateSlot) =>
    renderTemplate(template.components[slot.section]?.[slot.key] ?? '', filled);
  const textParameter = (slot: TemplateSlot) => ({
    type: 'text',
    ...(shape.named ? { parameter_name: slot.key } : {}),
    text: parameterValue(slot),
  });
  const inSection = (section: TemplateSection) => shape.slots.filter((slot) => slot.section === section);
  const components: Array<Record<string, unknown>> = [];
  const header = inSection('header');
  if (shape.headerMedia && template.headerMediaUrl)
    components.push({
      type: 'header',
      parameters: [{ type: shape.headerMedia, [shape.headerMedia]: { link: template.headerMediaUrl } }],
    });
  else if (header.length > 0) components.push({ type: 'header', parameters: header.map(textParameter) });
  const body = inSection('body');
  if (body.length > 0) components.push({ type: 'body', parameters: body.map(textParameter) });
  for (const slot of inSection('buttons')) {
    const value = parameterValue(slot);
    components.push({
      type: 'button',
      sub_type: slot.kind,
      index: slot.key,
      parameters: [
        slot.kind === 'coupon_code' ? { type: 'coupon_code', coupon_code: value } : { type: 'text', text: value },
      ],
    });
  }
  const values = new Map(body.map((slot) => [slot.key, parameterValue(slot)]));
  const text = shape.bodyText
    ? shape.bodyText.replace(VARIABLE, (whole, key: string) => values.get(key) ?? whole)
    : `[template ${template.name}]`;
  return {
    message: { name: template.name, language: template.language, ...(components.length > 0 ? { components } : {}) },
    text,
  };
}
