// Helpers for driving a homeserver with matrix-js-sdk: users on their own sync loops, bounded waits
// on SDK events, and a record of every HTTP request the server did not answer with a 2xx.
import { randomBytes } from "node:crypto";
import { createClient, ClientEvent, RoomEvent, SyncState } from "matrix-js-sdk";
import { logger } from "matrix-js-sdk/lib/logger.js";

// The SDK logs every sync at debug level, through child loggers that copy the root's method factory
// when created; silence them all unless MYELIN_E2E_SDK_LOG=trace|debug|info|warn|error asks for some.
const LEVELS = ["trace", "debug", "info", "warn", "error"];
const sdkLogLevel = LEVELS.indexOf(process.env.MYELIN_E2E_SDK_LOG ?? "");
const sdkMethodFactory = logger.methodFactory;
logger.methodFactory = (method, level, name) =>
    sdkLogLevel >= 0 && LEVELS.indexOf(method) >= sdkLogLevel ? sdkMethodFactory(method, level, name) : () => {};
logger.rebuild();

/** MYELIN_E2E_TRACE=1 prints every request the SDK makes, with its status. */
const TRACE = Boolean(process.env.MYELIN_E2E_TRACE);

/** The longest any single wait may take. */
export const WAIT_MS = 20_000;

export function homeserverUrl() {
    const url = process.env.MYELIN_E2E_URL;
    if (!url) throw new Error("set MYELIN_E2E_URL to the homeserver's base URL, e.g. http://127.0.0.1:8008");
    return url.replace(/\/+$/, "");
}

/**
 * Every response outside 2xx (and every request that got no response), as `METHOD path -> status body`,
 * so a run says exactly which request the server failed instead of only "the SDK timed out".
 */
export class RequestLog {
    entries = [];

    /** A fetch for the SDK's `fetchFn` that records failures and otherwise changes nothing. */
    fetchFor(who) {
        return async (input, init = {}) => {
            const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
            const method = (init.method ?? "GET").toUpperCase();
            const path = decodeURIComponent(url.pathname);
            try {
                const res = await fetch(input, init);
                if (TRACE) console.error(`${who}: ${method} ${path}${url.search} -> ${res.status}`);
                if (!res.ok) {
                    const body = (await res.clone().text()).slice(0, 300);
                    this.entries.push({ who, method, path, query: url.search, status: res.status, body });
                }
                return res;
            } catch (err) {
                if (err?.name !== "AbortError") {
                    this.entries.push({ who, method, path, query: url.search, status: "no response", body: String(err?.cause ?? err) });
                }
                throw err;
            }
        };
    }

    /** Failures other than those `expected(entry)` allows, each once with a count. */
    unexpected(expected = () => false) {
        const byKey = new Map();
        for (const e of this.entries) {
            if (expected(e)) continue;
            const key = `${e.method} ${e.path} -> ${e.status} ${e.body}`;
            byKey.set(key, (byKey.get(key) ?? 0) + 1);
        }
        return [...byKey].map(([key, n]) => (n > 1 ? `${key}  (x${n})` : key));
    }
}

export function randomLocalpart(prefix) {
    return `${prefix}-${randomBytes(5).toString("hex")}`;
}

/**
 * Registers through the SDK the way a client does (spec: Client-Server API, User-Interactive
 * Authentication): a first POST /register without `auth`; on a 401 offering m.login.dummy, the same
 * request again completing that stage in the server's session.
 */
export async function register(baseUrl, requests, localpart, password) {
    const client = createClient({ baseUrl, fetchFn: requests.fetchFor(`register ${localpart}`) });
    const body = { username: localpart, password, initial_device_display_name: "e2e register" };
    try {
        return await client.registerRequest(body);
    } catch (err) {
        const flows = err?.data?.flows;
        if (err?.httpStatus !== 401 || !Array.isArray(flows)) throw err;
        if (!flows.some(f => f.stages?.length === 1 && f.stages[0] === "m.login.dummy")) {
            throw new Error(`registration offers no m.login.dummy flow: ${JSON.stringify(flows)}`);
        }
        return await client.registerRequest({ ...body, auth: { type: "m.login.dummy", session: err.data.session } });
    }
}

/** Logs in with a password and returns a client holding that session (not yet syncing). */
export async function login(baseUrl, requests, localpart, password, deviceName) {
    const anon = createClient({ baseUrl, fetchFn: requests.fetchFor(`login ${localpart}`) });
    const res = await anon.loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: localpart },
        password,
        initial_device_display_name: deviceName,
    });
    return createClient({
        baseUrl,
        userId: res.user_id,
        accessToken: res.access_token,
        deviceId: res.device_id,
        fetchFn: requests.fetchFor(`${localpart}/${res.device_id}`),
    });
}

/**
 * Resolves once `condition()` holds, checking now and after each of `events` on `emitter`;
 * rejects after `ms` naming what it waited for (`what`: a string, or a function giving one then). Listeners are always removed.
 */
export function until(emitter, events, condition, what, ms = WAIT_MS) {
    return new Promise((resolve, reject) => {
        let timer;
        const check = () => {
            let value;
            try { value = condition(); } catch (err) { finish(); reject(err); return; }
            if (value) { finish(); resolve(value); }
        };
        const finish = () => {
            clearTimeout(timer);
            for (const e of events) emitter.off(e, check);
        };
        timer = setTimeout(() => {
            finish();
            reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === "function" ? what() : what}`));
        }, ms);
        for (const e of events) emitter.on(e, check);
        check();
    });
}

/**
 * Resolves with the first live event in `roomId`'s timeline, as the SDK emits it (RoomEvent.Timeline),
 * that `match` accepts. Call it before doing what should cause the event, then await it.
 */
export function nextTimelineEvent(client, roomId, match, what, ms = WAIT_MS) {
    return new Promise((resolve, reject) => {
        const onTimeline = (event, room, toStartOfTimeline) => {
            if (toStartOfTimeline || room?.roomId !== roomId || !match(event)) return;
            clearTimeout(timer);
            client.off(RoomEvent.Timeline, onTimeline);
            resolve(event);
        };
        const timer = setTimeout(() => {
            client.off(RoomEvent.Timeline, onTimeline);
            reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
        }, ms);
        client.on(RoomEvent.Timeline, onTimeline);
    });
}

/** Starts the SDK's own sync loop and waits until its first sync has been processed. */
export async function startSyncing(client, initialSyncLimit) {
    const syncErrors = [];
    const onSync = (state, _prev, data) => {
        const error = String(data?.error ?? "unknown");
        if (state === SyncState.Error && !syncErrors.includes(error)) syncErrors.push(error);
    };
    client.on(ClientEvent.Sync, onSync);
    try {
        await client.startClient({ initialSyncLimit });
        await until(client, [ClientEvent.Sync],
            () => client.getSyncState() === SyncState.Prepared || client.getSyncState() === SyncState.Syncing,
            () => `${client.getUserId()}'s first sync (sync state ${client.getSyncState()}; sync errors: ${syncErrors.join("; ") || "none"})`);
    } finally {
        client.off(ClientEvent.Sync, onSync);
    }
}

/** Bounds any SDK call that has no timeout of its own. */
export async function within(promise, what, ms = WAIT_MS) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    });
    try { return await Promise.race([promise, timeout]); } finally { clearTimeout(timer); }
}

/** Bodies of the m.room.message events in a room's live timeline, oldest first. */
export function messageBodies(room) {
    return room.getLiveTimeline().getEvents()
        .filter(e => e.getType() === "m.room.message")
        .map(e => e.getContent().body);
}
