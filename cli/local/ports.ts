import { createServer } from 'node:net';

/** Fails with a message that says what to do when a fixed local port is taken (0 always succeeds). */
export async function assertPortFree(port: number, what: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', () =>
      reject(
        new Error(
          `port ${port} for ${what} is in use — is another \`npm start\` running? Stop it or choose another port (see README).`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
