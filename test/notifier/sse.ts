/** Minimal live-stream clients for tests: SSE over fetch, and WebSocket over ws. */
import WebSocket from 'ws';

export interface StreamEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

export interface LiveClient {
  readonly events: StreamEvent[];
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<LiveClient & { status: number }> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: StreamEvent[] = [];
  if (response.ok && response.body) {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = (await reader.read()) as { value: Uint8Array | undefined; done: boolean };
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let id: string | undefined;
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) event = 'comment';
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            events.push({ event, id, data: data.join('\n') });
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { status: response.status, events, close: () => abort.abort() };
}

export async function openWebSocket(url: string, headers: Record<string, string>): Promise<LiveClient> {
  const socket = new WebSocket(url, { headers });
  const events: StreamEvent[] = [];
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { type: string; id?: string };
    events.push({ event: message.type, id: message.id, data: data.toString('utf8') });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`WebSocket upgrade answered ${res.statusCode}`)),
    );
  });
  return { events, close: () => socket.close() };
}
