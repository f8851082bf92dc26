import { describe, expect, it } from 'vitest';
import { brokerAddress } from '../../src/transports/mqtt/broker-address.ts';

describe('brokerAddress', () => {
  it('takes protocol, host and port from an mqtt:// URL', () => {
    expect(brokerAddress('mqtt://broker.local:1884')).toEqual({
      protocol: 'mqtt',
      host: 'broker.local',
      port: 1884,
    });
  });

  it('leaves the port to mqtt.js when the URL has none (1883, 8883 for mqtts)', () => {
    expect(brokerAddress('mqtts://broker.local')).toEqual({ protocol: 'mqtts', host: 'broker.local' });
  });

  it('unbrackets an IPv6 literal', () => {
    expect(brokerAddress('mqtt://[::1]:1883')).toMatchObject({ host: '::1', port: 1883 });
  });

  it('keeps the path and query of a WebSocket URL, and a user name', () => {
    expect(brokerAddress('wss://bridge%40site@broker.local/mqtt?x=1')).toEqual({
      protocol: 'wss',
      host: 'broker.local',
      path: '/mqtt?x=1',
      username: 'bridge@site',
    });
  });
});
