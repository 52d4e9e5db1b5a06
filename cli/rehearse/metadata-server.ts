import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

// A stand-in for the GCE / Cloud Run metadata server, one per service identity: what google-auth-library asks for
// when GCE_METADATA_HOST points at it (the availability ping, the default service account's access token and
// email, the project id, the universe domain). Every request must carry `Metadata-Flavor: Google`; every answer does.

export interface MetadataIdentity {
  /** The service account this workload runs as. */
  readonly email: string;
  readonly projectId: string;
  readonly projectNumber: string;
  /** The access token handed out. @default a random `ya29.`-shaped token */
  readonly accessToken?: string;
}

export interface RunningMetadataServer {
  /** `127.0.0.1:<port>`: the value for GCE_METADATA_HOST. */
  readonly host: string;
  readonly email: string;
  readonly accessToken: string;
  /** Token requests served. */
  tokenRequests(): number;
  close(): Promise<void>;
}

const PREFIX = '/computeMetadata/v1/';

export async function startMetadataServer(identity: MetadataIdentity): Promise<RunningMetadataServer> {
  const accessToken = identity.accessToken ?? `ya29.rehearse-${randomBytes(24).toString('hex')}`;
  let tokens = 0;
  const answers: Record<string, () => string> = {
    instance: () => 'attributes/\nhostname\nid\nservice-accounts/\n',
    'instance/service-accounts/default/token': () => {
      tokens += 1;
      return JSON.stringify({ access_token: accessToken, expires_in: 3599, token_type: 'Bearer' });
    },
    'instance/service-accounts/default/email': () => identity.email,
    'instance/service-accounts/default/scopes': () => 'https://www.googleapis.com/auth/cloud-platform\n',
    'project/project-id': () => identity.projectId,
    'project/numeric-project-id': () => identity.projectNumber,
    'universe/universe-domain': () => 'googleapis.com',
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const key = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length).replace(/\/$/, '') : undefined;
    const headers = { 'Metadata-Flavor': 'Google' };
    if (req.headers['metadata-flavor'] !== 'Google')
      return void res.writeHead(403, headers).end('Missing Metadata-Flavor:Google header.');
    const answer =
      key === undefined
        ? undefined
        : answers[key.replace(/^instance\/service-accounts\/[^/]+@[^/]+\//, 'instance/service-accounts/default/')];
    if (!answer) return void res.writeHead(404, headers).end('Not Found');
    const body = answer();
    res
      .writeHead(200, { ...headers, 'Content-Type': body.startsWith('{') ? 'application/json' : 'application/text' })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    email: identity.email,
    accessToken,
    tokenRequests: () => tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
