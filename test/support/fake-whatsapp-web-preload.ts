/**
 * Loaded with `NODE_OPTIONS=--import …` into spawned workers of tests: every WhatsApp Web socket of
 * that process talks to the test's FakeWhatsAppWeb at FAKE_WHATSAPP_WEB_URL instead of WhatsApp.
 */
import { overrideSocketFactory } from '../../src/infrastructure/gateways/whatsapp-web/web-socket';
import { fakeSocketFactory } from './fake-whatsapp-web-socket';

const url = process.env.FAKE_WHATSAPP_WEB_URL;
if (url) overrideSocketFactory(fakeSocketFactory(url));
