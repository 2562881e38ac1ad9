"""Topic materials (议题资料): files brought with a topic, shown on its page and on the agenda.

Who may add or remove them:

* the topic's author, and the department's liaisons and head (roles, also by delegation),
  while the topic is still with its department (draft, in review, approved);
* the coordinator, once the topic has been submitted (submitted, triaged, on the agenda) and
  as long as its meeting has not been held.

Limits are engineering configuration, not regulation: ``TOPIC_ATTACHMENT_MAX_BYTES``,
``TOPIC_ATTACHMENT_MAX_COUNT`` and ``TOPIC_ATTACHMENT_EXTENSIONS`` in the settings. A file's
bytes must be of the kind its extension names (``xietong.core.uploads``): an executable renamed
``.pdf`` or a page renamed ``.txt`` is refused.
Files are stored under ``MEDIA_ROOT/topics/<year>/<month>/`` with a generated name; the
original name is kept on the row and given back on download.
"""

from __future__ import annotations

import mimetypes
import os
import unicodedata
import uuid
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions, uploads
from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import record_event
from xietong.meetings.models import Meeting
from xietong.org.models import Role
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai

from .models import Topic, TopicAttachment

S = Topic.Status

# The department works on its topic's materials while the topic is still with it; the
# coordinator takes over once it has been submitted.
DEPARTMENT_STATES = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED})
COORDINATOR_STATES = frozenset({S.SUBMITTED, S.TRIAGED, S.SCHEDULED})
NAME_MAX = TopicAttachment._meta.get_field("name").max_length

ERR_FORBIDDEN = _("You may not change the materials of this topic.")
ERR_STATE = _("Materials can no longer be changed while the topic is “%(status)s”.")
ERR_HELD = _("The meeting has been held: its materials can no longer be changed.")


def allowed_extensions() -> list[str]:
    return [e.lower() if e.startswith(".") else f".{e.lower()}" for e in settings.TOPIC_ATTACHMENT_EXTENSIONS]


def _meeting_held(topic: Topic) -> bool:
    meeting = topic.meeting
    return meeting is not None and meeting.status == Meeting.Status.HELD


def may_change(*, topic: Topic, person, now: datetime) -> bool:
    """Whether ``person`` may add or remove materials of ``topic`` now (role and state)."""
    try:
        _check(topic, person, now)
    except (Forbidden, DomainError):
        return False
    return True


def check_may_change(*, topic: Topic, actor, now: datetime) -> None:
    """Raise the refusal (Forbidden or DomainError) when ``actor`` may not change the materials."""
    _check(topic, actor, now)


def _check(topic: Topic, actor, now: datetime) -> None:
    """Role first (Forbidden → 403), then the topic's state (DomainError)."""
    if actor is None or not actor.is_authenticated:
        raise Forbidden(ERR_FORBIDDEN, code="forbidden_attach")
    roles = roles_of(actor, on=as_shanghai(now).date())
    department = (
        topic.author_id == actor.pk
        or roles.has(Role.LIAISON, topic.department_id)
        or roles.has(Role.HEAD, topic.department_id)
    )
    coordinator = roles.is_coordinator
    if not (department or coordinator):
        raise Forbidden(ERR_FORBIDDEN, code="forbidden_attach")
    if topic.status in DEPARTMENT_STATES:
        if department:
            return
        # The coordinator does not see a department's drafts.
        raise Forbidden(ERR_FORBIDDEN, code="forbidden_attach")
    if topic.status in COORDINATOR_STATES:
        if not coordinator:
            raise DomainError(ERR_STATE, code="wrong_state", params={"status": topic.get_status_display()})
        if _meeting_held(topic):
            raise DomainError(ERR_HELD, code="meeting_held")
        return
    raise DomainError(ERR_STATE, code="wrong_state", params={"status": topic.get_status_display()})


def _lock(topic: Topic) -> Topic:
    return transitions.locked(Topic.objects.select_related("meeting"), topic.pk)


def _clean_name(raw: str) -> str:
    """The uploaded file's own name: no folders, no control characters, at most NAME_MAX."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        name = stem[: NAME_MAX - len(ext)] + ext
    return name


def _content_type(name: str) -> str:
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return (guessed or "application/octet-stream")[:100]


def _validate(upload) -> tuple[str, str]:
    if upload is None:
        raise DomainError(_("Choose a file."), code="file_required", field="file")
    name = _clean_name(getattr(upload, "name", ""))
    ext = os.path.splitext(name)[1].lower()
    if not name or not ext:
        raise DomainError(
            _("The file needs a name with an extension."), code="file_name_invalid", field="file"
        )
    allowed = allowed_extensions()
    if ext not in allowed:
        raise DomainError(
            _("Files of this type cannot be attached. Allowed: %(allowed)s."),
            code="file_type",
            field="file",
            params={"allowed": " ".join(allowed)},
        )
    size = upload.size or 0
    if size <= 0:
        raise DomainError(_("The file is empty."), code="file_empty", field="file")
    cap = settings.TOPIC_ATTACHMENT_MAX_BYTES
    if size > cap:
        raise DomainError(
            _("The file is too large (%(size)s MB); at most %(max)s MB."),
            code="file_too_large",
            field="file",
            params={"size": f"{size / 1048576:.1f}", "max": f"{cap / 1048576:g}"},
        )
    # The extension decides how the file is served and opened: its bytes must agree.
    uploads.check_content(upload, name=name, field="file")
    return name, ext


def topic_attach(*, topic: Topic, upload, actor, now: datetime) -> TopicAttachment:
    """Attach a file to ``topic``.

    Preconditions: ``actor`` may change the topic's materials (see the module docstring);
    the file has an allowed extension, content of the kind that extension names
    (``xietong.core.uploads``), is not empty, is within the size cap, and the topic has fewer
    than the maximum number of files.
    Side effects: the file is stored under MEDIA_ROOT/topics/<year>/<month>/ with a generated
    name; a TopicAttachment row keeps the original name, size and type.
    Records ``topic.attachment_added`` on the topic.
    """
    name, ext = _validate(upload)
    with transaction.atomic():
        locked = _lock(topic)
        _check(locked, actor, now)
        cap = settings.TOPIC_ATTACHMENT_MAX_COUNT
        if locked.attachments.count() >= cap:
            raise DomainError(
                _("A topic can have at most %(max)s files; remove one first."),
                code="too_many_files",
                field="file",
                params={"max": cap},
            )
        attachment = TopicAttachment(
            topic=locked,
            name=name,
            size=upload.size,
            content_type=_content_type(name),
            uploaded_by=actor,
            uploaded_at=now,
        )
        if hasattr(upload, "seek"):
            upload.seek(0)
        attachment.file.save(f"{uuid.uuid4().hex}{ext}", upload, save=False)
        stored = attachment.file.name
        try:
            attachment.save()
            record_event(
                name="topic.attachment_added",
                actor=actor,
                subject=locked,
                now=now,
                attachment=attachment.pk,
                file=name,
                size=attachment.size,
            )
        except BaseException:
            attachment.file.storage.delete(stored)
            raise
    return attachment


def topic_attachment_remove(*, attachment: TopicAttachment, actor, now: datetime) -> None:
    """Remove one file from its topic.

    Preconditions: as for ``topic_attach``. Side effects: the row is deleted and, once the
    transaction commits, the stored file. Records ``topic.attachment_removed`` on the topic.
    """
    with transaction.atomic():
        locked = _lock(attachment.topic)
        _check(locked, actor, now)
        row = TopicAttachment.objects.select_for_update().filter(pk=attachment.pk, topic=locked).first()
        if row is None:
            raise DomainError(_("This file has already been removed."), code="attachment_gone")
        stored, storage = row.file.name, row.file.storage
        row.delete()
        record_event(
            name="topic.attachment_removed",
            actor=actor,
            subject=locked,
            now=now,
            attachment=attachment.pk,
            file=row.name,
        )
        transaction.on_commit(lambda: storage.delete(stored))
