// Presence on matrix-js-sdk, against the homeserver at MYELIN_E2E_URL: two users sharing a room, each on
// the SDK's own sync loop; one sets their presence and status message, the other's SDK shows them on
// the User object (from m.presence in /sync), and GET /presence answers the same.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { UserEvent } from "matrix-js-sdk";
import { RequestLog, homeserverUrl, login, randomLocalpart, register, startSyncing, until, within } from "./support.mjs";

const PASSWORD = "correct horse battery staple";

describe("presence on matrix-js-sdk", () => {
    const baseUrl = homeserverUrl();
    const requests = new RequestLog();
    const clients = [];
    const passed = new Set();
    let alice, bob;

    /** A step of the story; skipped, not failed, when a step it builds on failed. */
    function step(name, needs, fn) {
        it(name, { timeout: 90_000 }, async t => {
            const missing = needs.filter(n => !passed.has(n));
            if (missing.length) { t.skip(`builds on a failed step: ${missing.join("; ")}`); return; }
            await fn(t);
            passed.add(name);
        });
    }

    after(() => {
        for (const c of clients) c.stopClient();
    });

    const ROOM = "alice and bob share a room and sync";
    step(ROOM, [], async () => {
        const names = { alice: randomLocalpart("alice"), bob: randomLocalpart("bob") };
        for (const localpart of Object.values(names)) {
            await within(register(baseUrl, requests, localpart, PASSWORD), `register ${localpart}`);
        }
        alice = await within(login(baseUrl, requests, names.alice, PASSWORD, "alice presence e2e"), "alice logs in");
        bob = await within(login(baseUrl, requests, names.bob, PASSWORD, "bob presence e2e"), "bob logs in");
        clients.push(alice, bob);
        const { room_id: roomId } = await within(alice.createRoom({ preset: "public_chat" }), "createRoom");
        await within(bob.joinRoom(roomId), "bob joins");
        await Promise.all([startSyncing(alice, 10), startSyncing(bob, 10)]);
    });

    const ONLINE = "syncing brings alice online, and bob sees it";
    step(ONLINE, [ROOM], async () => {
        await until(bob, [UserEvent.Presence],
            () => bob.getUser(alice.getUserId())?.presence === "online",
            () => `bob to see alice online (sees ${bob.getUser(alice.getUserId())?.presence})`);
        assert.equal(bob.getUser(alice.getUserId()).currentlyActive, true);
    });

    const AWAY = "alice sets unavailable with a status message; bob's SDK shows both";
    step(AWAY, [ONLINE], async () => {
        // As clients do (Element's "away"): her syncs say unavailable too, or the next one would bring her online.
        await alice.setSyncPresence("unavailable");
        await within(alice.setPresence({ presence: "unavailable", status_msg: "on the train" }), "alice sets her presence");
        const seen = await until(bob, [UserEvent.Presence],
            () => {
                const user = bob.getUser(alice.getUserId());
                return user?.presence === "unavailable" && user.presenceStatusMsg === "on the train" && user;
            },
            () => `bob to see alice unavailable (sees ${bob.getUser(alice.getUserId())?.presence})`);
        assert.ok(seen.lastActiveAgo >= 0, "last_active_ago is given");

        const status = await within(bob.getPresence(alice.getUserId()), "bob asks for alice's presence");
        assert.equal(status.presence, "unavailable");
        assert.equal(status.status_msg, "on the train");
    });

    step("the server answered every request the SDK made with a success", [], async () => {
        // spec: User-Interactive Authentication — the first POST /register is meant to get a 401 with flows.
        const uia = e => e.method === "POST" && e.path.endsWith("/register") && e.status === 401 && e.body.includes("flows");
        assert.deepEqual(requests.unexpected(uia), []);
    });
});
