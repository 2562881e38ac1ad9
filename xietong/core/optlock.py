"""Optimistic locking for the edit forms of shared objects: no silent lost updates.

Two editors of one object (two tabs, two liaisons, a liaison and a delegate) each read it,
change it and save it. Without a check the later save silently reverts the earlier one. So
every shared, editable model carries ``edit_version`` (``Versioned``), every edit form
carries the version its editor started from in a hidden field (``VersionedForm``), and the
service compares the two on the row it has locked (``check_and_bump``): a save based on an
older version is refused with ``StaleEdit`` and nothing is written. The view answers 409 with
the editor's text still in the form and the saved values beside it (``VersionedForm.mark_stale``
and the panel in ``_form.html`` / ``_stale.html``).
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

VERSION_FIELD = "edit_version"

ERR_STALE = _(
    "Someone else saved this since you opened it, so nothing was saved. Your text is kept in the "
    "form; the values saved in the meantime are shown with it. Merge them and save again."
)


class StaleEdit(DomainError):
    """A save based on a version that is no longer the current one (code "stale")."""

    def __init__(self, message=ERR_STALE, *, field: str | None = None, current: int | None = None):
        super().__init__(message, code="stale", field=field)
        self.current = current


class Versioned(models.Model):
    """A shared object edited through forms: ``edit_version`` rises with every edit."""

    edit_version = models.PositiveIntegerField(_("edit version"), default=1, editable=False)

    class Meta:
        abstract = True


def require_current(
    current: int, expected: int | None, *, message=ERR_STALE, field: str | None = None
) -> None:
    """Refuse with ``StaleEdit`` unless ``expected`` is ``current``; ``None`` skips the check.

    ``None`` is for callers that are not an editor's form (the live room, imports): they
    read and write in one locked transaction and cannot be stale.
    """
    if expected is not None and expected != current:
        raise StaleEdit(message, field=field, current=current)


def check_and_bump(
    locked: Versioned, expected: int | None, *, message=ERR_STALE, field: str | None = None
) -> list[str]:
    """Check ``expected`` against ``locked`` (read with ``select_for_update``) and raise its version.

    Returns the field names to add to ``save(update_fields=…)``. Raises ``StaleEdit`` (and
    changes nothing) when someone saved since the editor read ``expected``.
    """
    require_current(locked.edit_version, expected, message=message, field=field)
    locked.edit_version += 1
    return [VERSION_FIELD]


class VersionedForm(forms.Form):
    """Mixin for an edit form: the hidden version the editor started from.

    Put it first among the bases (``class TopicForm(VersionedForm, forms.ModelForm)``). The
    version comes from ``version=`` or the model form's instance; a model form that creates
    its object has no version field. The field renders with the form's hidden fields.
    """

    edit_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    stale_rows: list[tuple[str, str]] | None = None

    def __init__(self, *args, version: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is None:
            del self.fields[VERSION_FIELD]  # a model form creating its object: nothing to be stale
            return
        if version is None:
            version = getattr(instance, VERSION_FIELD, None)
        if version is not None:
            self.initial[VERSION_FIELD] = version

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get(VERSION_FIELD)

    def mark_stale(self, err: StaleEdit, *, saved: forms.BaseForm, version: int | None = None) -> None:
        """Keep the posted values, add the refusal, and list the saved values that differ.

        ``saved`` is an unbound form of the same class showing the object as it is now;
        ``version`` (default: the error's) becomes the hidden version, so that saving again
        after merging by hand is accepted.
        """
        version = err.current if version is None else version
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict or a dict: both copy
        if version is not None:
            data[self.add_prefix(VERSION_FIELD)] = str(version)
        self.data = data
        self.add_error(err.field if err.field in self.fields else None, str(err))
        rows = []
        for name, field in self.fields.items():
            if (
                field.widget.is_hidden
                or isinstance(field.widget, forms.PasswordInput)
                or name not in saved.fields
            ):
                continue
            if saved[name].value() is None:
                continue  # not part of the saved object (an upload, a per-save reason)
            mine, theirs = _display(field, self[name].value()), _display(field, saved[name].value())
            if mine != theirs:
                rows.append((str(field.label or name), theirs))
        self.stale_rows = rows


def _display(field: forms.Field, value) -> str:
    """A value as the reader sees it: choice labels for choices, the text otherwise."""
    if value is None:
        return ""
    values = list(value) if isinstance(value, list | tuple) else [value]
    values = [getattr(v, "pk", v) for v in values]
    if hasattr(field, "choices"):
        labels = {str(k): str(v) for k, v in field.choices}
        return ", ".join(labels.get(str(v), str(v)) for v in values if str(v) != "")
    if isinstance(field, forms.BooleanField):
        return str(_("yes") if value else _("no"))
    # Browsers post CRLF line ends; the saved text has whatever the service stored.
    return "\n".join(str(v) for v in values).replace("\r\n", "\n").strip()
