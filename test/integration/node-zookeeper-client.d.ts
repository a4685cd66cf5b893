// The part of node-zookeeper-client 1.1 (which ships no types) that the
// integration suites use.

declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  namespace zookeeper {
    /** jute longs arrive as 8-byte big-endian buffers */
    interface Stat {
      czxid: Buffer;
      mzxid: Buffer;
      ctime: Buffer;
      mtime: Buffer;
      version: number;
      cversion: number;
      aversion: number;
      ephemeralOwner: Buffer;
      dataLength: number;
      numChildren: number;
      pzxid: Buffer;
    }

    class Id {
      constructor(scheme: string, id: string);
      scheme: string;
      id: string;
    }

    class ACL {
      constructor(permission: number, id: Id);
      permission: number;
      id: Id;
      static OPEN_ACL_UNSAFE: ACL[];
      static CREATOR_ALL_ACL: ACL[];
      static READ_ACL_UNSAFE: ACL[];
    }

    class State {
      name: string;
      code: number;
      getName(): string;
      getCode(): number;
      static DISCONNECTED: State;
      static SYNC_CONNECTED: State;
      static AUTH_FAILED: State;
      static CONNECTED_READ_ONLY: State;
      static EXPIRED: State;
    }

    class Event {
      type: number;
      name: string;
      path: string;
      getType(): number;
      getName(): string;
      getPath(): string;
      static NODE_CREATED: number;
      static NODE_DELETED: number;
      static NODE_DATA_CHANGED: number;
      static NODE_CHILDREN_CHANGED: number;
    }

    class Exception extends Error {
      code: number;
      path?: string;
      getCode(): number;
      getName(): string;
      getPath(): string | undefined;
    }

    interface OpResult {
      type: number;
      path?: string;
      stat?: Stat;
      err?: number;
    }

    interface Transaction {
      create(path: string, data?: Buffer | null, acls?: ACL[], mode?: number): Transaction;
      create(path: string, mode: number): Transaction;
      setData(path: string, data: Buffer | null, version?: number): Transaction;
      check(path: string, version?: number): Transaction;
      remove(path: string, version?: number): Transaction;
      commit(cb: (error: Exception | null, results: OpResult[]) => void): void;
    }

    type Watcher = (event: Event) => void;
    type Callback<T> = (error: Exception | null, result: T) => void;

    interface Client extends EventEmitter {
      connect(): void;
      close(): void;
      getState(): State;
      getSessionId(): Buffer;
      getSessionPassword(): Buffer;
      getSessionTimeout(): number;
      addAuthInfo(scheme: string, auth: Buffer): void;
      create(path: string, ...args: Array<Buffer | null | ACL[] | number | Callback<string>>): void;
      remove(path: string, version: number, cb: (error: Exception | null) => void): void;
      setData(path: string, data: Buffer | null, version: number, cb: Callback<Stat>): void;
      getData(path: string, watcher: Watcher | undefined, cb: (error: Exception | null, data: Buffer | undefined, stat: Stat) => void): void;
      setACL(path: string, acls: ACL[], version: number, cb: Callback<Stat>): void;
      getACL(path: string, cb: (error: Exception | null, acls: ACL[], stat: Stat) => void): void;
      exists(path: string, watcher: Watcher | undefined, cb: Callback<Stat | null>): void;
      getChildren(path: string, watcher: Watcher | undefined, cb: (error: Exception | null, children: string[], stat: Stat) => void): void;
      mkdirp(path: string, cb: Callback<string>): void;
      transaction(): Transaction;
      /** the library's connection manager; its `state` is CLOSED (-2) once a closed session's socket is gone */
      connectionManager: { state: number };
    }

    interface ClientOptions {
      sessionTimeout?: number;
      spinDelay?: number;
      retries?: number;
      sessionId?: Buffer;
      sessionPassword?: Buffer;
    }

    function createClient(connectionString: string, options?: ClientOptions): Client;

    const CreateMode: {
      PERSISTENT: number;
      PERSISTENT_SEQUENTIAL: number;
      EPHEMERAL: number;
      EPHEMERAL_SEQUENTIAL: number;
    };

    const Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
  }

  export = zookeeper;
}
