// Two users on matrix-js-sdk, each on the SDK's own sync loop, against the homeserver at MYELIN_E2E_URL:
// invite, join, messages both ways, back-pagination, state changes and a leave — each seen by the other
// user through the events the SDK emits, so the server must answer everything a real client asks for.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { ClientEvent, RoomEvent, RoomMemberEvent, Direction } from "matrix-js-sdk";
import {
    RequestLog, homeserverUrl, login, messageBodies, nextTimelineEvent, randomLocalpart, register,
    startSyncing, until, within,
} from "./support.mjs";

const HISTORY = 25;
const PASSWORD = "correct horse battery staple";

describe("two users on matrix-js-sdk", () => {
    const baseUrl = homeserverUrl();
    const requests = new RequestLog();
    const clients = [];
    const passed = new Set();
    let alice, bob, roomId;

    /** A step of the story; skipped, not failed, when a step it builds on failed. */
    function step(name, needs, fn) {
        it(name, { timeout: 90_000 }, async t => {
            const missing = needs.filter(n => !passed.has(n));
            if (missing.length) { t.skip(`builds on a failed step: ${missing.join("; ")}`); return; }
            await fn(t);
            passed.add(name);
        });
    }

    const isMember = (userId, membership) => e =>
        e.getType() === "m.room.member" && e.getStateKey() === userId && e.getContent().membership === membership;
    const isMessage = body => e => e.getType() === "m.room.message" && e.getContent().body === body;

    after(() => {
        for (const c of clients) c.stopClient();
    });

    const USERS = "alice and bob register and log in";
    step(USERS, [], async () => {
        const names = { alice: randomLocalpart("alice"), bob: randomLocalpart("bob") };
        for (const localpart of Object.values(names)) {
            const reg = await within(register(baseUrl, requests, localpart, PASSWORD), `register ${localpart}`);
            assert.match(reg.user_id, new RegExp(`^@${localpart}:`));
        }
        alice = await within(login(baseUrl, requests, names.alice, PASSWORD, "alice e2e"), "alice logs in");
        bob = await within(login(baseUrl, requests, names.bob, PASSWORD, "bob e2e"), "bob logs in");
        clients.push(alice, bob);
        assert.match(alice.getUserId(), new RegExp(`^@${names.alice}:`));
        assert.ok(alice.getDeviceId(), "login returned a device id");
        const whoami = await within(bob.whoami(), "bob's whoami");
        assert.equal(whoami.user_id, bob.getUserId());
    });

    const SYNCING = "both start the SDK's sync loop";
    step(SYNCING, [USERS], async () => {
        await Promise.all([startSyncing(alice, 10), startSyncing(bob, 10)]);
    });

    const INVITED = "alice creates a room and invites bob; bob's sync shows the invite";
    step(INVITED, [SYNCING], async () => {
        ({ room_id: roomId } = await within(alice.createRoom({ preset: "private_chat" }), "createRoom"));
        await until(alice, [ClientEvent.Room, RoomEvent.MyMembership],
            () => alice.getRoom(roomId)?.getMyMembership() === "join", "alice's sync to show her new room");

        await within(alice.invite(roomId, bob.getUserId()), "invite");
        const room = await until(bob, [ClientEvent.Room, RoomEvent.MyMembership],
            () => bob.getRoom(roomId)?.getMyMembership() === "invite" && bob.getRoom(roomId),
            "bob's sync to show the invite");
        assert.equal(room.getMember(bob.getUserId())?.events.member?.getSender(), alice.getUserId(),
            "the invite's m.room.member event is from alice");
    });

    const JOINED = "bob joins; alice sees him join";
    step(JOINED, [INVITED], async () => {
        const aliceSeesJoin = nextTimelineEvent(alice, roomId, isMember(bob.getUserId(), "join"), "bob's join on alice's timeline");
        await within(bob.joinRoom(roomId), "bob joins");
        await aliceSeesJoin;
        await until(bob, [ClientEvent.Room, RoomEvent.MyMembership],
            () => bob.getRoom(roomId)?.getMyMembership() === "join", "bob's sync to show him joined");
        assert.equal(alice.getRoom(roomId).getMember(bob.getUserId())?.membership, "join");
    });

    const TALKED = "alice and bob exchange messages, each seen on the other's timeline";
    step(TALKED, [JOINED], async () => {
        const bobSees = nextTimelineEvent(bob, roomId, isMessage("hello bob"), "alice's message on bob's timeline");
        const sent = await within(alice.sendTextMessage(roomId, "hello bob"), "alice sends");
        const seen = await bobSees;
        assert.equal(seen.getId(), sent.event_id);
        assert.equal(seen.getSender(), alice.getUserId());

        const aliceSees = nextTimelineEvent(alice, roomId, isMessage("hi alice"), "bob's reply on alice's timeline");
        const reply = await within(bob.sendTextMessage(roomId, "hi alice"), "bob replies");
        const seenReply = await aliceSees;
        assert.equal(seenReply.getId(), reply.event_id);
        assert.equal(seenReply.getSender(), bob.getUserId());
    });

    const PAGINATED = "bob, on a new device with a short initial sync, pages back through the history in order";
    step(PAGINATED, [TALKED], async () => {
        const bobSeesLast = nextTimelineEvent(bob, roomId, isMessage(`history ${HISTORY - 1}`), "the last history message on bob's timeline");
        for (let i = 0; i < HISTORY; i++) {
            await within(alice.sendTextMessage(roomId, `history ${i}`), `alice sends history ${i}`);
        }
        await bobSeesLast;

        const phone = await within(login(baseUrl, requests, bob.getUserId().slice(1).split(":")[0], PASSWORD, "bob's phone"), "bob logs in again");
        clients.push(phone);
        await startSyncing(phone, 5);
        const room = phone.getRoom(roomId);
        assert.ok(room, "the new device's initial sync includes the room");
        const initial = room.getLiveTimeline().getEvents();
        assert.ok(initial.length <= 5, `initial sync with timeline limit 5 returned ${initial.length} events`);
        assert.deepEqual(messageBodies(room).slice(-1), [`history ${HISTORY - 1}`]);

        const expected = ["hello bob", "hi alice", ...Array.from({ length: HISTORY }, (_, i) => `history ${i}`)];
        for (let pages = 0; messageBodies(room).length < expected.length; pages++) {
            assert.ok(pages < 10, `still missing messages after 10 pages: have ${JSON.stringify(messageBodies(room))}`);
            assert.ok(room.oldState.paginationToken !== null,
                `reached the start of the room with messages missing: have ${JSON.stringify(messageBodies(room))}`);
            await within(phone.scrollback(room, 10), "scrollback");
        }
        assert.deepEqual(messageBodies(room), expected);

        // The same history through the raw request from the device's sync token: newest first, as the
        // spec orders dir=b, and no more than the limit.
        const page = await within(phone.createMessagesRequest(roomId, phone.store.getSyncToken(), 3, Direction.Backward), "GET /messages");
        assert.deepEqual(page.chunk.map(e => e.content?.body),
            [`history ${HISTORY - 1}`, `history ${HISTORY - 2}`, `history ${HISTORY - 3}`]);
        phone.stopClient();
    });

    const RENAMED = "alice names the room and sets its topic; bob sees both";
    step(RENAMED, [JOINED], async () => {
        const name = "Myelin e2e room", topic = "what real clients ask for";
        const bobSeesName = nextTimelineEvent(bob, roomId, e => e.getType() === "m.room.name", "m.room.name on bob's timeline");
        const bobSeesTopic = nextTimelineEvent(bob, roomId, e => e.getType() === "m.room.topic", "m.room.topic on bob's timeline");
        await within(alice.setRoomName(roomId, name), "setRoomName");
        await within(alice.setRoomTopic(roomId, topic), "setRoomTopic");
        assert.equal((await bobSeesName).getContent().name, name);
        assert.equal((await bobSeesTopic).getContent().topic, topic);
        const room = bob.getRoom(roomId);
        await until(room, [RoomEvent.Name], () => room.name === name, "bob's room name to update");
        assert.equal(room.currentState.getStateEvents("m.room.topic", "")?.getContent().topic, topic);
    });

    const LEFT = "bob leaves; alice sees the leave";
    step(LEFT, [JOINED], async () => {
        const aliceSeesLeave = nextTimelineEvent(alice, roomId, isMember(bob.getUserId(), "leave"), "bob's leave on alice's timeline");
        await within(bob.leave(roomId), "bob leaves");
        const leave = await aliceSeesLeave;
        assert.equal(leave.getSender(), bob.getUserId());
        await until(alice, [RoomMemberEvent.Membership],
            () => alice.getRoom(roomId).getMember(bob.getUserId())?.membership === "leave", "alice's member list to show bob left");
        await until(bob, [ClientEvent.Room, RoomEvent.MyMembership],
            () => bob.getRoom(roomId)?.getMyMembership() === "leave", "bob's sync to show him gone");
    });

    step("the server answered every request the SDK made with a success", [], async () => {
        // spec: User-Interactive Authentication — the first POST /register is meant to get a 401 with flows.
        const uia = e => e.method === "POST" && e.path.endsWith("/register") && e.status === 401 && e.body.includes("flows");
        assert.deepEqual(requests.unexpected(uia), []);
    });
});
