import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Types } from 'mongoose';
import { AddressBookService, ON_WHATSAPP_BATCH } from '../../src/application/contacts/address-book-service';
import type { ConnectionStatus } from '../../src/domain/connections/connection-status';
import { type Cause, newCorrelation } from '../../src/domain/events/envelope';
import { InMemoryAddressBooks } from '../support/in-memory-address-books';

describe('address book service (the gateways’ own address books)', () => {
  let books: InMemoryAddressBooks;
  let announced: Array<{ connectionId: string; cause: Cause }>;
  let status: ConnectionStatus | null;
  let service: AddressBookService;
  const companyId = new Types.ObjectId();
  const connectionId = String(new Types.ObjectId());

  beforeEach(() => {
    books = new InMemoryAddressBooks();
    announced = [];
    status = 'connected';
    service = new AddressBookService({
      books,
      connectionOf: async () => (status ? { companyId, status } : null),
      contactsChanged: async (id, cause) => {
        announced.push({ connectionId: id, cause });
        return `sync-${announced.length}`;
      },
    });
  });

  test('sandbox: the simulated book seeded once per phone, and the sync that follows announced with the caller’s cause', async () => {
    const cause = newCorrelation(String(companyId));
    const result = await service.seedSandbox(
      cause,
      connectionId,
      [
        { phone: '11 91111-0001', name: 'Ana' },
        { phone: '11 91111-0002', onWhatsApp: false },
        { phone: '11 91111-0001' },
      ],
      'BR',
    );
    assert.deepEqual(result, { stored: 2, syncId: 'sync-1' });
    assert.equal(books.sandbox.get(connectionId)?.get('11 91111-0002')?.onWhatsApp, false);
    assert.deepEqual(announced, [{ connectionId, cause }]);
  });

  test('WhatsApp Web: new contacts checked in batches, ContactsChanged when connected; nothing new announces nothing', async () => {
    const checked: number[] = [];
    const contacts = Array.from({ length: ON_WHATSAPP_BATCH + 5 }, (_, i) => ({
      phone: `+55119${String(i).padStart(8, '0')}`,
      name: null,
    }));
    const check = async (phones: string[]) => {
      checked.push(phones.length);
      return new Map(phones.map((phone) => [phone, !phone.endsWith('1')]));
    };
    assert.equal(await service.receiveWebContacts(connectionId, contacts, check), ON_WHATSAPP_BATCH + 5);
    assert.deepEqual(checked, [ON_WHATSAPP_BATCH, 5]);
    assert.equal(books.web.get(connectionId)?.get('+5511900000001')?.onWhatsApp, false);
    assert.equal(announced.length, 1);
    assert.equal(announced[0]!.cause.companyId, String(companyId));

    assert.equal(await service.receiveWebContacts(connectionId, contacts, check), 0);
    assert.equal(announced.length, 1, 'the same contacts again change nothing');
    // A renamed contact is a change, already checked: no question to WhatsApp.
    const renamed = await service.receiveWebContacts(connectionId, [{ phone: contacts[0]!.phone, name: 'Ana' }], check);
    assert.equal(renamed, 1);
    assert.deepEqual(checked, [ON_WHATSAPP_BATCH, 5]);
    assert.equal(announced.length, 2);
  });

  test('WhatsApp Web: contacts stored while the number is still pairing start no sync', async () => {
    status = 'pairing';
    const check = async (phones: string[]) => new Map(phones.map((phone) => [phone, true]));
    assert.equal(await service.receiveWebContacts(connectionId, [{ phone: '+5511911110001', name: 'Ana' }], check), 1);
    assert.equal(books.web.get(connectionId)?.get('+5511911110001')?.onWhatsApp, true);
    assert.deepEqual(announced, []);
    status = null;
    await service.receiveWebContacts(connectionId, [{ phone: '+5511911110002', name: null }], check);
    assert.deepEqual(announced, [], 'nor for a connection that is gone');
  });
});
