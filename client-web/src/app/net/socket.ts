// socket.ts - the WebSocket as the connection manager sees it: a factory that opens one and
// reports its opening, its text messages and its close. The browser's WebSocket is wrapped by
// browserSocket(); tests pass a fake server's factory instead.

/** How a socket ended. */
export interface SocketClose {
  /** The close code (1006 when the connection dropped or the upgrade was refused). */
  code: number;
  /** False when the socket closed before it opened (a refused or failed upgrade). */
  opened: boolean;
  /** A refused upgrade's HTTP status, when the transport can see it (browsers cannot). */
  httpStatus?: number;
  /** The refusal's retry_after (seconds), when the transport can see it. */
  retryAfter?: number;
}

export interface SocketHandlers {
  open(): void;
  /** A text message (binary ones are not for the connection manager and are not passed). */
  message(text: string): void;
  /** Called once, last. */
  close(info: SocketClose): void;
}

export interface SocketLike {
  send(data: string | Uint8Array): void;
  /** Closes from this side; handlers.close follows (with code, when the socket was open). */
  close(code?: number): void;
}

export type SocketFactory = (handlers: SocketHandlers) => SocketLike;

/** The subprotocol of PROTOCOL.md §2.1. */
export const SUBPROTOCOL = 'advice.v1';

/** The /ws address of the page's own origin (a static origin forwards /ws to adviced). */
export function sameOriginWsUrl(loc: { protocol: string; host: string } = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

/** A SocketFactory of the browser's WebSocket on `url`. */
export function browserSocket(url: string = sameOriginWsUrl()): SocketFactory {
  return (h) => {
    const ws = new WebSocket(url, SUBPROTOCOL);
    let opened = false;
    let closed = false;
    ws.addEventListener('open', () => {
      opened = true;
      h.open();
    });
    ws.addEventListener('message', (ev: MessageEvent) => {
      if (typeof ev.data === 'string') h.message(ev.data);
    });
    ws.addEventListener('close', (ev: CloseEvent) => {
      if (closed) return;
      closed = true;
      h.close({ code: ev.code, opened });
    });
    return {
      send: (data) => ws.send(data),
      close: (code) => ws.close(code ?? 1000),
    };
  };
}
