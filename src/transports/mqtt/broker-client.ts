// The mqtt.js client for the broker's URL, its socket made here for mqtt:// and mqtts://. mqtt.js's
// own connect() loads every transport it knows on first use (WebSocket with Node's http, https and
// zlib; SOCKS proxies with dns): some 1.5 MiB of heap and 6 MiB resident that a hub whose broker is
// not on ws:// or wss:// never uses. Those URLs still go through connect().
import { createConnection, isIP } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { connect, type IClientOptions, MqttClient } from 'mqtt';
import { brokerAddress } from './broker-address.ts';

export function brokerClient(url: string, options: IClientOptions): MqttClient {
  const opts: IClientOptions = { ...brokerAddress(url), ...options };
  // As mqtt.js does: a client certificate means TLS, whatever the URL says.
  const secure = opts.protocol === 'mqtts' || (opts.protocol === 'mqtt' && !!opts.cert && !!opts.key);
  if (!secure && opts.protocol !== 'mqtt') return connect(opts);
  const host = opts.host ?? 'localhost';
  return new MqttClient(
    (client) =>
      secure ? tlsSocket(client, host, opts) : createConnection({ host, port: opts.port ?? 1883 }),
    opts,
  );
}

/** As mqtt.js's own: the broker's certificate checked against its host name, TLS errors told to the client. */
function tlsSocket(client: MqttClient, host: string, opts: IClientOptions): TLSSocket {
  const socket = tlsConnect({
    host,
    port: opts.port ?? 8883,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    rejectUnauthorized: opts.rejectUnauthorized !== false,
  });
  const onError = (error: Error) => {
    client.emit('error', error);
    socket.end();
  };
  socket.on('error', onError);
  socket.on('secureConnect', () => socket.removeListener('error', onError));
  return socket;
}
