/** The broker contract against the Alpaca adapter, talking real HTTP to the fake Alpaca (test/helpers/fake-alpaca.ts). */
import {
  approvedRequest,
  type FakeAlpaca,
  startFakeAlpaca,
} from '../../test/helpers/fake-alpaca.js';
import { describeBrokerContract } from '../broker-contract.js';
import { createAlpacaBroker } from './alpaca-broker.js';

describeBrokerContract('alpaca (fake server over HTTP)', async () => {
  const symbol = 'CTR';
  const price = '100';
  const fake: FakeAlpaca = await startFakeAlpaca({ cash: '100000', prices: { [symbol]: price } });
  const broker = createAlpacaBroker({
    keyId: fake.keyId,
    secretKey: fake.secretKey,
    baseUrl: fake.url,
  });
  const accountId = 'alpaca-main';
  return {
    broker,
    accountId,
    symbol,
    price,
    unaffordableQuantity: '1001',
    newOrder: async (spec) => approvedRequest(accountId, { symbol, ...spec }),
    async completeFill(request) {
      fake.fill(request.clientOrderId);
    },
    async submissionsReceived() {
      return fake.requests.filter((r) => r.method === 'POST' && r.path === '/v2/orders').length;
    },
    async close() {
      await broker.close();
      await fake.close();
    },
  };
});
