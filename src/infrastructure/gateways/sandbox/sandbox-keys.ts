/** Keys of the sandbox's `_id`-addressed address book (sandbox-store.ts). */
export const sandboxKeys = {
  page: (connectionId: string, page: number) => `${connectionId}|${page}`,
  place: (connectionId: string, phone: string) => `${connectionId}|${phone}`,
  offNumber: (connectionId: string, e164: string) => `${connectionId}|${e164}`,
};
