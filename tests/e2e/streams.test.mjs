// The stream writers (issue 5) through matrix-js-sdk: typing, receipts, to-device, account data, tags,
// presence and push rules, each written by one user's client and seen through another's sync loop.
// Alice talks to MYELIN_E2E_URL, Bob (and Alice's second device) to MYELIN_E2E_URL_B when it is set: on
// a cluster those are two gateways, so every stream is also checked across gateways.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import {
    ClientEvent, RoomEvent, RoomMemberEvent, UserEvent, PushRuleKind, NotificationCountType, ReceiptType,
} from "matrix-js-sdk";
import {
    RequestLog, homeserverUrl, login, nextTimelineEvent, randomLocalpart, register, startSyncing, until, within,
} from "./support.mjs";

const PASSWORD = "correct horse battery staple";

describe("stream writers on matrix-js-sdk", () => {
    const urlA = homeserverUrl();
    const urlB = (process.env.MYELIN_E2E_URL_B ?? urlA).replace(/\/+$/, "");
    const requests = new RequestLog();
    const clients = [];
    const passed = new Set();
    let alice, aliceOnB, bob, roomId, names;

    function step(name, needs, fn) {
        it(name, { timeout: 90_000 }, async t => {
            const missing = needs.filter(n => !passed.has(n));
            if (missing.length) { t.skip(`builds on a failed step: ${missing.join("; ")}`); return; }
            await fn(t);
            passed.add(name);
        });
    }

    const isMessage = body => e => e.getType() === "m.room.message" && e.getContent().body === body;

    after(() => {
        for (const c of clients) c.stopClient();
        // The user-interactive registration's first 401 is the protocol, not a refusal.
        const unexpected = requests.unexpected(e => e.path.endsWith("/register") && e.status === 401);
        if (unexpected.length) console.error(`requests the server refused:\n  ${unexpected.join("\n  ")}`);
    });

    const SETUP = "alice (on A) and bob (on B) share a room, both syncing; alice also syncs a second device on B";
    step(SETUP, [], async () => {
        names = { alice: randomLocalpart("alice"), bob: randomLocalpart("bob") };
        await within(register(urlA, requests, names.alice, PASSWORD), "register alice");
        await within(register(urlB, requests, names.bob, PASSWORD), "register bob");
        alice = await within(login(urlA, requests, names.alice, PASSWORD, "alice on A"), "alice logs in");
        aliceOnB = await within(login(urlB, requests, names.alice, PASSWORD, "alice on B"), "alice logs in on B");
        bob = await within(login(urlB, requests, names.bob, PASSWORD, "bob on B"), "bob logs in");
        clients.push(alice, aliceOnB, bob);
        await Promise.all([startSyncing(alice, 10), startSyncing(aliceOnB, 10), startSyncing(bob, 10)]);

        ({ room_id: roomId } = await within(alice.createRoom({ preset: "private_chat", invite: [bob.getUserId()] }), "createRoom"));
        await until(bob, [ClientEvent.Room, RoomEvent.MyMembership, ClientEvent.Sync],
            () => bob.getRoom(roomId)?.getMyMembership() === "invite", "bob's sync to show the invite");
        await within(bob.joinRoom(roomId), "bob joins");
        // A room the client first sees whole (created, invited and joined within one sync) emits no member
        // events through the client: the sync itself is the signal then.
        await until(alice, [RoomMemberEvent.Membership, ClientEvent.Room, ClientEvent.Sync],
            () => alice.getRoom(roomId)?.getMember(bob.getUserId())?.membership === "join", "alice to see bob join");
    });

    const TYPING = "typing: bob sees alice start and stop typing";
    step(TYPING, [SETUP], async () => {
        const typingOf = () => bob.getRoom(roomId)?.getMember(alice.getUserId())?.typing;
        await within(alice.sendTyping(roomId, true, 20_000), "alice starts typing");
        await until(bob, [RoomMemberEvent.Typing], () => typingOf() === true, "bob to see alice typing");
        await within(alice.sendTyping(roomId, false, 0), "alice stops typing");
        await until(bob, [RoomMemberEvent.Typing], () => typingOf() === false, "bob to see alice stop typing");
    });

    const RECEIPT = "receipts: alice reads bob's message; bob sees her read receipt on it";
    step(RECEIPT, [SETUP], async () => {
        const aliceSees = nextTimelineEvent(alice, roomId, isMessage("read me"), "bob's message on alice's timeline");
        const sent = await within(bob.sendTextMessage(roomId, "read me"), "bob sends");
        const event = await aliceSees;
        await within(alice.sendReadReceipt(event, ReceiptType.Read), "alice sends a read receipt");
        await until(bob, [RoomEvent.Receipt],
            () => bob.getRoom(roomId)?.getEventReadUpTo(alice.getUserId(), true) === sent.event_id,
            () => `bob to see alice's receipt on ${sent.event_id} (has ${bob.getRoom(roomId)?.getEventReadUpTo(alice.getUserId(), true)})`);
    });

    const TO_DEVICE = "to-device: alice's message reaches bob's device once";
    step(TO_DEVICE, [SETUP], async () => {
        const received = [];
        const onToDevice = e => { if (e.getType() === "org.myelin.e2e.ping") received.push(e); };
        bob.on(ClientEvent.ToDeviceEvent, onToDevice);
        try {
            const content = new Map([[bob.getUserId(), new Map([[bob.getDeviceId(), { n: 1, text: "ping" }]])]]);
            await within(alice.sendToDevice("org.myelin.e2e.ping", content), "alice sends to bob's device");
            await until(bob, [ClientEvent.ToDeviceEvent], () => received.length > 0, "bob's device to receive the message");
            assert.equal(received[0].getSender(), alice.getUserId());
            assert.deepEqual(received[0].getContent(), { n: 1, text: "ping" });
            // A few more syncs go by (a message from bob drives them): the message is not delivered again.
            const seen = nextTimelineEvent(bob, roomId, isMessage("after to-device"), "a later message on bob's timeline");
            await within(alice.sendTextMessage(roomId, "after to-device"), "alice sends");
            await seen;
            assert.equal(received.length, 1, "delivered exactly once");
        } finally {
            bob.off(ClientEvent.ToDeviceEvent, onToDevice);
        }
    });

    const ACCOUNT_DATA = "account data: alice sets it on A, her device on B sees it";
    step(ACCOUNT_DATA, [SETUP], async () => {
        await within(alice.setAccountData("org.myelin.e2e.settings", { theme: "dark" }), "alice sets account data");
        await until(aliceOnB, [ClientEvent.AccountData],
            () => aliceOnB.getAccountData("org.myelin.e2e.settings")?.getContent()?.theme === "dark",
            "alice's device on B to see the account data");
    });

    const TAGS = "tags: alice tags the room on A, her device on B sees the tag; removing it goes through too";
    step(TAGS, [SETUP], async () => {
        await within(alice.setRoomTag(roomId, "m.favourite", { order: 0.5 }), "alice tags the room");
        await until(aliceOnB, [RoomEvent.Tags],
            () => aliceOnB.getRoom(roomId)?.tags?.["m.favourite"]?.order === 0.5, "the tag on alice's device on B");
        await within(alice.deleteRoomTag(roomId, "m.favourite"), "alice removes the tag");
        await until(aliceOnB, [RoomEvent.Tags],
            () => aliceOnB.getRoom(roomId) && !aliceOnB.getRoom(roomId).tags?.["m.favourite"], "the tag gone on alice's device on B");
    });

    const PRESENCE = "presence: bob sees alice's status message";
    step(PRESENCE, [SETUP], async () => {
        await within(alice.setPresence({ presence: "online", status_msg: "writing tests" }), "alice sets her presence");
        await until(bob, [UserEvent.Presence, ClientEvent.Sync],
            () => bob.getUser(alice.getUserId())?.presenceStatusMsg === "writing tests"
                && bob.getUser(alice.getUserId())?.presence === "online",
            () => `bob to see alice's presence (has ${bob.getUser(alice.getUserId())?.presence} "${bob.getUser(alice.getUserId())?.presenceStatusMsg}")`);
    });

    const PUSH = "push rules: bob's messages count as unread for alice until a custom rule silences the room; her receipt clears the count";
    step(PUSH, [SETUP], async () => {
        const room = alice.getRoom(roomId);
        const total = () => room.getUnreadNotificationCount(NotificationCountType.Total);
        // Start from zero: alice reads everything so far.
        const last = room.getLiveTimeline().getEvents().at(-1);
        await within(alice.sendReadReceipt(last, ReceiptType.Read), "alice reads up to now");
        await until(alice, [ClientEvent.Sync], () => total() === 0, () => `alice's count to be 0 (is ${total()})`);

        const first = nextTimelineEvent(alice, roomId, isMessage("count me"), "bob's first message on alice's timeline");
        await within(bob.sendTextMessage(roomId, "count me"), "bob sends");
        await first;
        await until(alice, [ClientEvent.Sync], () => total() === 1, () => `alice's count to be 1 (is ${total()})`);

        await within(alice.addPushRule("global", PushRuleKind.RoomSpecific, roomId, { actions: [] }), "alice silences the room");
        const second = nextTimelineEvent(alice, roomId, isMessage("do not count me"), "bob's second message on alice's timeline");
        await within(bob.sendTextMessage(roomId, "do not count me"), "bob sends again");
        const event = await second;
        // One more sync after the one that carried the message (bob's typing wakes it), so a late count
        // would have arrived by now.
        await within(bob.sendTyping(roomId, true, 5_000), "bob types");
        await until(alice, [RoomMemberEvent.Typing], () => room.getMember(bob.getUserId())?.typing === true, "alice to see bob typing");
        assert.equal(total(), 1, "the silenced room's new message did not count");

        await within(alice.sendReadReceipt(event, ReceiptType.Read), "alice reads the room");
        await until(alice, [ClientEvent.Sync], () => total() === 0, () => `alice's count back to 0 (is ${total()})`);
    });
});
