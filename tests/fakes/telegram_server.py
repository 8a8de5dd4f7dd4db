"""A fake Telegram Bot API server over HTTP that the real python-telegram-bot client talks to in tests.

It records calls and sent messages, feeds injected updates to long polling or (once the bot set a webhook and the
test routed it, `route_webhook`) POSTs them to the bot's webhook as Telegram does, and injects faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from . import telegram_html as rules
from . import telegram_objects as tgo
from .telegram_objects import ApiError, Call, Params, UploadedFile
from .telegram_webhook import Delivery, Webhook, webhook_from

__all__ = ["ApiError", "Call", "FakeTelegram", "UploadedFile"]

Handler = Callable[[Params], Any]
# Telegram lets a bot send up to 1,000 paid broadcasts a second, beyond its ordinary limit of about 30.
PAID_BROADCASTS_PER_SECOND = 1000.0


@dataclass(slots=True)
class _Waiter:
    method: str
    predicate: Callable[[Call], bool]
    future: asyncio.Future[Call]


class FakeTelegram:
    """`async with FakeTelegram() as tg:` serves the Bot API at `tg.base_url` until the block ends."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "studybot_test",
        *,
        bot_first_name: str = "StudyBot",
        global_rate: float | None = None,
        group_rate_per_min: int | None = None,
        paid_rate: float | None = PAID_BROADCASTS_PER_SECOND,
        other_bots: Sequence[str] = (),
        record_messages: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_user: Params = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        # False keeps memory flat for benchmarks: no calls or messages kept, only `counts`.
        self.record_messages = record_messages
        self.host, self.port = host, port
        self.root = self.base_url = self.base_file_url = ""
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.rejected_429 = 0
        # Calls refused because the message itself broke Telegram's rules (markup, lengths, buttons), not because a
        # test injected a fault: an adapter test that ends with one here sent something Telegram would refuse.
        self.malformed: list[Call] = []
        self._allowed_updates: frozenset[str] | None = None  # getUpdates' allowed_updates, kept between calls
        self.paid_messages = 0  # sent as paid broadcasts (each would cost the bot 0.1 Telegram Stars)
        # Telegram's limits are per bot: each token has its own windows. Other bots share this server's chats.
        self._rates = {
            bot: tgo.RateLimits(global_rate, group_rate_per_min, paid_rate) for bot in (token, *other_bots)
        }
        self._by_method: dict[str, list[Call]] = {}
        self._call_index = 0
        self._claimed: set[int] = set()
        self._waiters: list[_Waiter] = []
        self._activity: asyncio.Future[None] | None = None
        self._faults: dict[str, list[tgo.Fault]] = {}
        self._stalls: dict[str, list[float]] = {}
        self._messages: dict[int | str, dict[int, Params]] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._chats: dict[int | str, Params] = {}
        self._users: dict[int, Params] = {}
        self._member_status: dict[tuple[int | str, int], str] = {}
        self._commands: dict[tuple[str, str], list[Params]] = {}
        self._callback_ids: set[str] = set()
        self._updates: deque[Params] = deque()
        # Delivered to the webhook out of order, still in _updates until those before them go: so that a
        # delivery costs O(1), not a copy of every pending update (10,000 pending made the fake the bottleneck).
        self._webhook_done: set[int] = set()
        self._unchecked = False  # updates queued (or allowed_updates changed) since the last _drop_unwanted
        self._next_update_id = 1
        self._update_event = asyncio.Event()
        self._closing = False
        self.webhook: Webhook | None = None
        # Where webhook requests go (the bot's web server, as a TLS proxy in front of it would forward them).
        self._webhook_target: str | None = None
        self._webhook_concurrency = 1
        self._delivery: Delivery | None = None
        self._webhook_wake = asyncio.Event()
        self.webhook_posts: list[tuple[int, int]] = []  # every webhook POST: (update_id, HTTP status; 0: no answer)
        self._stopping: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        handlers: dict[str, Handler] = {
            "getMe": lambda p: {**self.bot_user, "can_join_groups": True,
                                "can_read_all_group_messages": False,
                                "supports_inline_queries": False},
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": lambda p: self._commands.get(tgo.commands_key(p), []),
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": lambda p: self._edit(p, "text"),
            "editMessageCaption": lambda p: self._edit(p, "caption"),
            "editMessageReplyMarkup": lambda p: self._edit(p, None),
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getChatMember": self._get_chat_member,
            "getChat": lambda p: tgo.chat_full_info_json(self._chat(tgo.parse_chat_id(p))),
            "close": lambda p: True,
            "logOut": lambda p: True,
        }  # fmt: skip
        # Bot API method names are case-insensitive.
        self._methods = {name.lower(): (name, h) for name, h in handlers.items()}

    async def __aenter__(self) -> Self:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation ends a long poll whose client went away instead of holding it.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.root = f"http://{self.host}:{self.port}"
        self.base_url = f"{self.root}/bot"
        self.base_file_url = f"{self.root}/file/bot"
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing = True
        self._update_event.set()  # release long polls so shutdown does not wait for them
        await self._stop_delivery()
        await asyncio.gather(*self._stopping)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----- inspection and configuration -----

    def calls_of(self, method: str) -> list[Call]:
        return list(self._by_method.get(method, ()))

    def messages(self, chat_id: int | str) -> list[Params]:
        """Messages the bot sent to the chat and has not deleted (live records, edits applied)."""
        return list(self._messages.get(chat_id, {}).values())

    def message(self, chat_id: int | str, message_id: int) -> Params:
        return self._messages[chat_id][message_id]

    def commands(self, scope: Params | None = None, language_code: str = "") -> list[Params]:
        return self._commands.get(tgo.commands_key({"scope": scope, "language_code": language_code}), [])

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates) - len(self._webhook_done)

    def set_chat(self, chat_id: int | str, **config: Any) -> None:
        """Configure a chat: type ("private"/"group"/"supergroup"/"channel"), title, username, first_name."""
        self._chats.setdefault(chat_id, {}).update(config)

    def set_member_status(self, chat_id: int | str, user_id: int, status: str) -> None:
        if status not in tgo.MEMBER_STATUSES:
            raise ValueError(f"unsupported member status {status!r}")
        self._member_status[(chat_id, user_id)] = status

    def change_member(self, chat_id: int, user_id: int, status: str, *, by: int) -> Params:
        """`by` changes a member's status (promotes, demotes, bans): the status changes, and a chat_member update
        is queued, which Telegram delivers only to a bot that asked for chat_member in allowed_updates."""
        old = self._member_status.get((chat_id, user_id), "member")
        self.set_member_status(chat_id, user_id, status)
        user = self._users.get(user_id) or tgo.user_json(user_id, "User")
        change = {"chat": self._chat(chat_id), "from": self._users.get(by) or tgo.user_json(by, "Admin"),
                  "date": int(time.time()), "old_chat_member": tgo.member_json(old, user),
                  "new_chat_member": tgo.member_json(status, user)}  # fmt: skip
        return self.push_update({"chat_member": change})

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        *,
        count: int = 1,
        chat_id: int | str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next `count` calls of `method` (to `chat_id`, if given) with this error."""
        parameters: Params = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        text = description or tgo.DEFAULT_DESCRIPTIONS.get(status, "Error")
        error = ApiError(status, text.format(retry_after=retry_after), parameters)
        self._faults.setdefault(method, []).append(tgo.Fault(error, count, chat_id))

    def stall_next(self, method: str, seconds: float, *, count: int = 1) -> None:
        """Hold the next `count` calls of `method` for `seconds` before answering (a client's read timeout)."""
        self._stalls.setdefault(method, []).extend([seconds] * count)

    # ----- injecting updates -----

    def push_update(self, update: Params) -> Params:
        """Queue a raw Update for getUpdates; an `update_id` is assigned if missing."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        self._updates.append(update)
        self._unchecked = True
        self._update_event.set()
        self._update_event = asyncio.Event()
        self._webhook_wake.set()
        self._notify_activity()
        return update

    def send_command(self, chat_id: int | str, text: str, **kwargs: Any) -> Params:
        """Inject "/cmd[@bot] args" with its bot_command entity; kwargs as for send_text."""
        if not text.startswith("/"):
            raise ValueError(f"a command starts with '/': {text!r}")
        word = text.split(maxsplit=1)[0]
        entity = {"type": "bot_command", "offset": 0, "length": tgo.utf16_len(word)}
        return self.send_text(chat_id, text, entities=[entity], **kwargs)

    def send_text(
        self,
        chat_id: int | str,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Tester",
        username: str | None = None,
        language_code: str | None = "en",
        chat_type: str | None = None,
        **fields: Any,
    ) -> Params:
        """Inject a user's text message; extra `fields` (entities, reply_to_message...) are merged in."""
        if chat_type is not None:
            self.set_chat(chat_id, type=chat_type)
        user = self._user(chat_id, user_id, first_name, username, language_code)
        message = {
            "message_id": self._new_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": user,
            "text": text,
            **fields,
        }
        return self.push_update({"message": message})

    def press_button(
        self,
        chat_id: int | str,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        first_name: str = "Tester",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> Params:
        """Inject a callback_query for an inline button on a message the bot sent."""
        user = self._user(chat_id, user_id, first_name, username, language_code)
        record = self._messages.get(chat_id, {}).get(message_id)
        if record is None:
            if self.record_messages:
                raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}")
            record = tgo.new_record(chat_id, message_id, {}, text="")
        query_id = f"cbq{self._next_update_id}"
        self._callback_ids.add(query_id)
        query = {"id": query_id, "from": user, "message": self._message_json(record),
                 "chat_instance": f"ci{chat_id}", "data": data}  # fmt: skip
        return self.push_update({"callback_query": query})

    def press_inline_button(
        self,
        inline_message_id: str,
        data: str,
        *,
        user_id: int,
        first_name: str = "Tester",
        language_code: str | None = "en",
    ) -> Params:
        """Inject a callback_query from a message sent in inline mode: it has inline_message_id and no message."""
        user = tgo.user_json(user_id, first_name, None, language_code)
        query_id = f"cbq{self._next_update_id}"
        self._callback_ids.add(query_id)
        query = {"id": query_id, "from": user, "inline_message_id": inline_message_id,
                 "chat_instance": f"ci{inline_message_id}", "data": data}  # fmt: skip
        return self.push_update({"callback_query": query})

    @property
    def unanswered_callbacks(self) -> set[str]:
        """Callback queries no answerCallbackQuery has answered: each one a user watching a spinner."""
        return set(self._callback_ids)

    # ----- webhooks -----

    async def route_webhook(self, target: str, *, concurrency: int = 1) -> None:
        """Deliver the webhook's updates to `target` (the bot's web server root; the webhook URL's path is added):
        now if a webhook is set, else from the moment one is. `concurrency` POSTs at once (Telegram makes up to the
        webhook's max_connections)."""
        self._webhook_target, self._webhook_concurrency = target, concurrency
        self._start_delivery()

    async def post_webhook(self, update: Params, target: str) -> int:
        """POST one update to a bot's web server at `target` once, as Telegram would (the webhook's path and secret);
        its HTTP status, or 0 if nobody answered."""
        assert self.webhook is not None, "no webhook is set"
        delivery = Delivery(self.webhook, target, lambda _: None, lambda _: None, asyncio.Event())
        delivery.start()
        try:
            return await delivery.post(update)
        finally:
            self.webhook_posts += delivery.posts
            await delivery.stop()

    def _set_webhook(self, params: Params) -> bool:
        hook = webhook_from(params)
        if hook is None:
            return self._delete_webhook(params)
        if params.get("drop_pending_updates"):
            self._updates.clear()
            self._webhook_done.clear()
        if "allowed_updates" in params:
            kinds = params["allowed_updates"]
            self._allowed_updates = frozenset(kinds) if kinds else None
            self._unchecked = True
        self.webhook = hook
        self._start_delivery()
        return True

    def _delete_webhook(self, params: Params) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
            self._webhook_done.clear()
        self.webhook = None
        self._start_delivery()
        return True

    def _webhook_info(self, params: Params) -> Params:
        info: Params = {"url": "", "has_custom_certificate": False, "pending_update_count": self.pending_updates}
        if self.webhook is not None:
            info.update(url=self.webhook.url, max_connections=self.webhook.max_connections)
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    def _start_delivery(self) -> None:
        """(Re)start delivering to the routed target under the current webhook; stop if there is none."""
        old, self._delivery = self._delivery, None
        if self._webhook_done:  # delivered: gone for good, whoever reads the queue next
            self._updates = deque(u for u in self._updates if u["update_id"] not in self._webhook_done)
            self._webhook_done.clear()
        if old is not None:
            self._stopping.add(task := asyncio.get_running_loop().create_task(old.stop()))
            task.add_done_callback(self._stopping.discard)
        if self.webhook is None or self._webhook_target is None or self._closing:
            return
        self._delivery = Delivery(
            self.webhook, self._webhook_target, self._next_for_webhook, self._delivered, self._webhook_wake,
            concurrency=self._webhook_concurrency, posts=self.webhook_posts,
        )  # fmt: skip
        self._delivery.start()
        self._webhook_wake.set()

    async def _stop_delivery(self) -> None:
        if self._delivery is not None:
            await self._delivery.stop()
            self._delivery = None

    def _next_for_webhook(self, in_flight: set[int]) -> Params | None:
        self._drop_unwanted()
        done = self._webhook_done
        return next((u for u in self._updates if u["update_id"] not in in_flight and u["update_id"] not in done), None)

    def _delivered(self, update_id: int) -> None:
        self._webhook_done.add(update_id)
        while self._updates and self._updates[0]["update_id"] in self._webhook_done:
            self._webhook_done.discard(self._updates.popleft()["update_id"])
        self._notify_activity()

    # ----- waiting -----

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        chat_id: int | str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait reads better in tests
    ) -> Call:
        """The oldest call of `method` matching the filters that no earlier wait_for_call returned.

        So waiting twice for "sendMessage to chat X" yields the first, then the second such call,
        whether it came before or during the wait. Failed calls match too (see Call.failed).
        """

        def match(call: Call) -> bool:
            if chat_id is not None and str(call.chat_id) != str(chat_id):
                return False
            return predicate is None or predicate(call)

        for call in self._by_method.get(method, ()):
            if call.index not in self._claimed and match(call):
                self._claimed.add(call.index)
                return call
        waiter = _Waiter(method, match, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            seen = [c.params for c in self._by_method.get(method, [])[-5:]]
            raise TimeoutError(f"no matching {method} within {timeout}s; last: {seen}") from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def wait_until(self, condition: Callable[[], Any], timeout: float = 5.0) -> Any:  # noqa: ASYNC109
        """Wait until `condition()` is truthy and return its value.

        It is re-checked on every call or update and at least every 20 ms, so it may also
        watch state outside the server (the bot's database).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (value := condition()):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition still false after {timeout}s")
            if self._activity is None:
                self._activity = loop.create_future()
            # shield: one waiter timing out must not cancel the future others share.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._activity), min(remaining, 0.02))
        return value

    # ----- HTTP -----

    async def _handle(self, request: web.Request) -> web.Response:
        params = await tgo.read_params(request)
        name = request.match_info["method"]
        method, handler = self._methods.get(name.lower(), (name, None))
        if stalls := self._stalls.get(method):
            await asyncio.sleep(stalls.pop(0))
        try:
            token = request.match_info["token"]
            rates = self._rates.get(token)
            if rates is None:
                raise ApiError(401, "Unauthorized")
            if (faults := self._faults.get(method)) and (error := tgo.take_fault(faults, params)):
                raise error
            paid = params.get("allow_paid_broadcast") is True
            if (retry_after := rates.check(method, params.get("chat_id"), paid=paid)) is not None:
                self.rejected_429 += 1
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}",
                               {"retry_after": retry_after})  # fmt: skip
            if method == "getMe" and token != self.token:
                me = {**self.bot_user, "id": int(token.split(":", 1)[0])}
                self._record(method, params)
                return web.json_response({"ok": True, "result": me})
            if method == "getUpdates":
                if self.webhook is not None:
                    raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                        "use deleteWebhook to delete the webhook first")  # fmt: skip
                self._record(method, params)
                return web.json_response({"ok": True, "result": await self._get_updates(params)})
            result = handler(params) if handler is not None else True
        except ApiError as error:
            self._record(method, params, error.status, error.description)
            return web.json_response(error.body(), status=error.status)
        if paid and method.startswith("send"):
            self.paid_messages += 1
        self._record(method, params)
        return web.json_response({"ok": True, "result": result})

    def _record(self, method: str, params: Params, status: int = 200, error: str | None = None) -> None:
        self._call_index += 1
        call = Call(method, params, time.monotonic(), status, error, self._call_index)
        self.counts[method] += 1
        if self.record_messages:
            self.calls.append(call)
            self._by_method.setdefault(method, []).append(call)
        for waiter in self._waiters:
            if waiter.method == method and not waiter.future.done() and waiter.predicate(call):
                self._claimed.add(call.index)
                waiter.future.set_result(call)
                break
        self._notify_activity()

    def _notify_activity(self) -> None:
        if self._activity is not None:
            if not self._activity.done():
                self._activity.set_result(None)
            self._activity = None

    # ----- Bot API methods -----

    async def _get_updates(self, params: Params) -> list[Params]:
        if "allowed_updates" in params:
            kinds = params["allowed_updates"]
            self._allowed_updates = frozenset(kinds) if kinds else None
            self._unchecked = True
        offset = int(params.get("offset") or 0)
        if offset < 0:  # -N: forget all but the last N
            while len(self._updates) > -offset:
                self._updates.popleft()
        while offset > 0 and self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        timeout = float(params.get("timeout") or 0)
        self._drop_unwanted()
        if not self._updates and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), timeout)
            self._drop_unwanted()
        return list(itertools.islice(self._updates, int(params.get("limit") or 100)))

    def _drop_unwanted(self) -> None:
        """Telegram never delivers (nor keeps) an update of a kind the bot did not ask for."""
        if not self._unchecked:
            return
        self._unchecked = False
        if any(not tgo.allowed(update, self._allowed_updates) for update in self._updates):
            self._updates = deque(u for u in self._updates if tgo.allowed(u, self._allowed_updates))
            self._webhook_done &= {u["update_id"] for u in self._updates}

    def _send_message(self, params: Params) -> Params:
        self._obey("sendMessage", params, rules.check_text, rules.check_keyboard)
        return self._store(params, text=str(params.get("text")), entities=params.get("entities"))

    def _send_photo(self, params: Params) -> Params:
        photo = params.get("photo")
        if photo is None:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        self._obey("sendPhoto", params, rules.check_caption, rules.check_keyboard)
        data = photo.data if isinstance(photo, UploadedFile) else None
        return self._store(
            params,
            caption=params.get("caption"),
            entities=params.get("caption_entities"),
            photo=data,
            photo_ref=None if data is not None else str(photo),
            photo_size=len(data) if data is not None else 1,
        )

    def _send_document(self, params: Params) -> Params:
        document = params.get("document")
        if document is None:
            raise ApiError(400, "Bad Request: there is no document in the request")
        self._obey("sendDocument", params, rules.check_caption, rules.check_keyboard)
        if isinstance(document, UploadedFile):
            if not document.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            if len(document.data) > tgo.UPLOAD_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
        data = document.data if isinstance(document, UploadedFile) else None
        return self._store(
            params,
            caption=params.get("caption"),
            entities=params.get("caption_entities"),
            document=data,
            document_info=tgo.document_json(f"doc{tgo.parse_chat_id(params)}", document),
        )

    def _store(self, params: Params, *, photo_size: int = 0, **content: Any) -> Params:
        chat_id = tgo.parse_chat_id(params)
        message_id = self._new_message_id(chat_id)
        record = tgo.new_record(chat_id, message_id, params, **content)
        if photo_size:
            record["photo_sizes"] = tgo.photo_sizes(f"photo{chat_id}_{message_id}", photo_size)
        if self.record_messages:
            self._messages.setdefault(chat_id, {})[message_id] = record
        return self._message_json(record)

    def _edit(self, params: Params, field_name: str | None) -> Params | bool:
        checks = {"text": rules.check_edited_text, "caption": rules.check_caption}
        if field_name in checks:
            self._obey(f"editMessage{field_name.title()}", params, checks[field_name], rules.check_keyboard)
        else:
            self._obey("editMessageReplyMarkup", params, rules.check_keyboard)
        if params.get("inline_message_id"):
            return True  # Telegram answers True, not a Message, for inline messages
        chat_id = tgo.parse_chat_id(params)
        message_id = int(params.get("message_id") or 0)
        record = self._messages.get(chat_id, {}).get(message_id)
        if record is None:
            if self.record_messages:
                raise ApiError(400, "Bad Request: message to edit not found")
            record = tgo.new_record(chat_id, message_id, {}, **{field_name or "text": ""})
        tgo.apply_edit(record, params, field_name)
        return self._message_json(record)

    def _delete_message(self, params: Params) -> bool:
        stored = self._messages.get(tgo.parse_chat_id(params), {})
        if stored.pop(int(params.get("message_id") or 0), None) is None and self.record_messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: Params) -> bool:
        self._obey("answerCallbackQuery", params, rules.check_toast)
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._callback_ids:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")  # fmt: skip
        self._callback_ids.discard(query_id)
        return True

    def _get_chat_member(self, params: Params) -> Params:
        chat_id, user_id = tgo.parse_chat_id(params), int(params.get("user_id") or 0)
        if user_id == self.bot_user["id"]:
            user = self.bot_user
        else:
            user = self._users.get(user_id) or tgo.user_json(user_id, "User")
        status = self._member_status.get((chat_id, user_id), "member")
        return tgo.member_json(status, user)

    def _set_my_commands(self, params: Params) -> bool:
        self._obey("setMyCommands", params, rules.check_commands)
        self._commands[tgo.commands_key(params)] = list(params.get("commands") or [])
        return True

    def _delete_my_commands(self, params: Params) -> bool:
        self._commands.pop(tgo.commands_key(params), None)
        return True

    # ----- helpers -----

    def _obey(self, method: str, params: Params, *checks: Callable[[Params], None]) -> None:
        """Run Telegram's checks on a message; a refusal is answered and also kept in `malformed`."""
        try:
            for check in checks:
                check(params)
        except ApiError as error:
            self.malformed.append(Call(method, params, time.monotonic(), error.status, error.description))
            raise

    def _chat(self, chat_id: int | str) -> Params:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            # Like Telegram, "@name" finds the chat whose username it is.
            for known, config in self._chats.items():
                if config.get("username", "").lower() == chat_id[1:].lower():
                    return tgo.chat_json(known, config)
        return tgo.chat_json(chat_id, self._chats.get(chat_id, {}))

    def _new_message_id(self, chat_id: int | str) -> int:
        # One counter per chat, shared by the bot's and the users' messages, as in Telegram.
        message_id = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = message_id
        return message_id

    def _message_json(self, record: Params) -> Params:
        return tgo.message_json(record, self._chat(record["chat_id"]), self.bot_user)

    def _user(
        self,
        chat_id: int | str,
        user_id: int | None,
        first_name: str,
        username: str | None,
        language_code: str | None,
    ) -> Params:
        if user_id is None:
            user_id = chat_id if isinstance(chat_id, int) and chat_id > 0 else 1001
        user = tgo.user_json(user_id, first_name, username, language_code)
        self._users[user_id] = user
        if user_id == chat_id:
            self._chats.setdefault(chat_id, {}).setdefault("first_name", first_name)
        return user
