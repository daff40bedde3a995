"""Add or edit one library material, checking every value as it is typed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QLocale, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QWidget

from compost_desktop.db.errors import first_line
from compost_desktop.domain import validation as v
from compost_desktop.domain.lifecycle import MaterialKind
from compost_desktop.gui.context import MATERIALS, AppContext
from compost_desktop.gui.generated.ui_material_dialog import Ui_MaterialDialog
from compost_desktop.gui.materials.models import format_number
from compost_desktop.presentation.palette import ERROR, ERROR_BACKGROUND
from compost_desktop.services.store import NotFoundError
from compost_desktop.services.values import MaterialDraft, MaterialRecord

log = logging.getLogger(__name__)

INVALID_STYLE = f"QLineEdit {{ border: 1px solid {ERROR}; background: {ERROR_BACKGROUND}; }}"


def parse_number(text: str, locale: QLocale | None = None) -> float | None:
    """A number as the user's locale writes it (or with a dot); None when it is not one."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if cleaned.endswith(":1"):  # "30:1" is how people write a C:N ratio
        cleaned = cleaned[:-2]
    for loc in (locale or QLocale(), QLocale.c()):
        value, ok = loc.toDouble(cleaned)
        if ok:
            return value
    return None


@dataclass
class _Field:
    """One checked line edit, its error label and how its text becomes a stored value."""

    edit: QLineEdit
    error: QLabel
    required: bool
    check: Callable[[float], object]
    scale: float = 1.0  # typed unit → stored unit (kg/m³ → kg/L)


class MaterialDialog(QDialog):
    """Saves through the database thread and stays open when saving fails, keeping the input."""

    material_saved = Signal(object)  # MaterialRecord

    def __init__(
        self,
        ctx: AppContext,
        material: MaterialRecord | None = None,
        existing_names: Iterable[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.material = material
        self._material_id = material.id if material else None
        own = material.name.casefold() if material else None
        self._taken = {n.strip().casefold() for n in existing_names} - {own}
        self._touched: set[str] = set()
        self._saving = False
        self._locale = QLocale()

        self.ui = Ui_MaterialDialog()
        self.ui.setupUi(self)
        self.setWindowTitle(f"Edit {material.name}" if material else "New material")
        self.ui.kindCombo.addItem("Green — nitrogen-rich (food waste, manure, grass)", "green")
        self.ui.kindCombo.addItem("Brown — carbon-rich (leaves, straw, wood, paper)", "brown")
        self.ok_button = self.ui.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Save")

        self._fields: dict[str, _Field] = {
            "cn": _Field(self.ui.cnEdit, self.ui.cnError, True, v.check_cn_ratio),
            "n_pct": _Field(
                self.ui.nitrogenEdit, self.ui.nitrogenError, False, v.check_nitrogen_pct
            ),
            "moisture_pct": _Field(
                self.ui.moistureEdit, self.ui.moistureError, False, v.check_moisture_pct
            ),
            "density": _Field(
                self.ui.densityEdit, self.ui.densityError, False, v.check_density, 1 / 1000
            ),
        }
        # Extra height goes below the form, not between a field and its message.
        self.ui.dialogLayout.insertStretch(1, 1)
        if material is not None:
            self._fill(material)
        for key, f in self._fields.items():
            f.edit.textEdited.connect(lambda _text, k=key: self.on_field_edited(k))
        self.ui.nameEdit.textEdited.connect(lambda _text: self.on_field_edited("name"))
        self.ui.buttonBox.accepted.connect(self.on_save_clicked)
        self.ui.buttonBox.rejected.connect(self.reject)
        self.validate()

    def _fill(self, m: MaterialRecord) -> None:
        self.ui.nameEdit.setText(m.name)
        self.ui.kindCombo.setCurrentIndex(self.ui.kindCombo.findData(m.kind.value))
        self.ui.cnEdit.setText(format_number(m.cn_ratio, 2, self._locale))
        self.ui.nitrogenEdit.setText(format_number(m.nitrogen_pct, 3, self._locale))
        self.ui.moistureEdit.setText(format_number(m.moisture_pct, 2, self._locale))
        density = None if m.density_kg_per_l is None else m.density_kg_per_l * 1000
        self.ui.densityEdit.setText(format_number(density, 1, self._locale))
        self.ui.sourceEdit.setText(m.source or "")
        self.ui.sourceEdit.setCursorPosition(0)
        self.ui.notesEdit.setPlainText(m.description or "")
        self._touched.update({"name", *self._fields})  # existing values are checked at once

    # --- validation as you type ---------------------------------------------------

    @Slot(str)
    def on_field_edited(self, key: str) -> None:
        self._touched.add(key)
        self.validate()

    def _value(self, key: str) -> tuple[float | None, str | None]:
        """The stored value of a numeric field, or the message that explains why not."""
        f = self._fields[key]
        text = f.edit.text().strip()
        if not text:
            return None, (f"{_LABELS[key]} is needed." if f.required else None)
        number = parse_number(text, self._locale)
        if number is None:
            return None, f"{_LABELS[key]}: '{text}' is not a number."
        try:
            f.check(number * f.scale)
        except v.ValidationError as exc:
            return None, _plain(key, exc, number)
        return number * f.scale, None

    def _name_error(self) -> str | None:
        name = self.ui.nameEdit.text().strip()
        try:
            v.check_name(name)
        except v.ValidationError as exc:
            return exc.message
        if name.casefold() in self._taken:
            return f"A material called '{name}' already exists; choose another name."
        return None

    def validate(self) -> bool:
        """Mark each wrong field red with its message; Save is enabled only when all are right."""
        errors: dict[str, str | None] = {"name": self._name_error()}
        for key in self._fields:
            errors[key] = self._value(key)[1]
        self._show_error(self.ui.nameEdit, self.ui.nameError, errors["name"], "name")
        for key, f in self._fields.items():
            self._show_error(f.edit, f.error, errors[key], key)
        ok = all(e is None for e in errors.values())
        self.ok_button.setEnabled(ok and not self._saving)
        if not ok and not self._saving:
            untouched = [k for k, e in errors.items() if e and k not in self._touched]
            if untouched and len(untouched) == sum(1 for e in errors.values() if e):
                self._set_form_message("Fill in the name and the C:N ratio to save.")
            elif self.ui.formError.text().startswith("Fill in"):
                self._set_form_message("")
        elif not self._saving:
            self._set_form_message("")
        return ok

    def _show_error(self, edit: QLineEdit, label: QLabel, error: str | None, key: str) -> None:
        shown = error if key in self._touched else None
        edit.setStyleSheet(INVALID_STYLE if shown else "")
        edit.setToolTip(shown or "")
        label.setText(shown or "")
        label.setVisible(bool(shown))

    def _set_form_message(self, text: str) -> None:
        self.ui.formError.setText(text)
        self.ui.formError.setVisible(bool(text))

    def error_text(self, key: str) -> str:
        """The message shown under a field ('name', 'cn', 'n_pct', 'moisture_pct', 'density')."""
        label = self.ui.nameError if key == "name" else self._fields[key].error
        return label.text() if label.isVisibleTo(self) else ""

    def draft(self) -> MaterialDraft:
        """What the form says, as the store takes it; call only when `validate()` is true."""
        values = {key: self._value(key)[0] for key in self._fields}
        cn = values["cn"]
        assert cn is not None
        return MaterialDraft(
            name=self.ui.nameEdit.text().strip(),
            kind=MaterialKind(self.ui.kindCombo.currentData()),
            cn_ratio=cn,
            nitrogen_pct=values["n_pct"],
            moisture_pct=values["moisture_pct"],
            density_kg_per_l=values["density"],
            source=self.ui.sourceEdit.text().strip() or None,
            description=self.ui.notesEdit.toPlainText().strip() or None,
        )

    # --- saving ----------------------------------------------------------------------

    @Slot()
    def on_save_clicked(self) -> None:
        self._touched.update({"name", *self._fields})
        if self._saving or not self.validate():
            return
        store = self.ctx.store
        if store is None:
            self._set_form_message(
                "The database is not open yet, so nothing was saved. Wait until the status "
                "bar says it is ready, then press Save again."
            )
            return
        draft, material_id = self.draft(), self._material_id
        self._saving = True
        self.ok_button.setEnabled(False)
        self._set_form_message("Saving…")
        self.ctx.runner.submit(
            lambda: store.save_material(draft, material_id),
            self.on_saved,
            self.on_save_failed,
            changes=frozenset({MATERIALS}),
        )

    def on_saved(self, record: MaterialRecord) -> None:
        self._saving = False
        self.material = record
        self._material_id = record.id
        self._set_form_message("")
        self.material_saved.emit(record)
        self.accept()

    def on_save_failed(self, exc: BaseException) -> None:
        """Say what went wrong next to the field it concerns; everything typed stays."""
        self._saving = False
        if isinstance(exc, v.ValidationError):
            if exc.field == "name":
                self._show_error(self.ui.nameEdit, self.ui.nameError, exc.message, "name")
            elif exc.field in self._fields:
                f = self._fields[exc.field]
                self._show_error(f.edit, f.error, exc.message, exc.field)
            self._set_form_message("Not saved: " + exc.message)
            self.ok_button.setEnabled(True)
            return
        if isinstance(exc, NotFoundError):
            self._material_id = None
            self._set_form_message(
                "This material was deleted meanwhile (perhaps from another PC). "
                "Press Save to add it again as a new material, or Cancel."
            )
        else:
            log.warning("Saving a material failed: %s", exc)
            self._set_form_message(
                f"Not saved: the database did not accept the change ({first_line(exc)}). "
                "What you typed is still here; press Save to try again."
            )
        self.ok_button.setEnabled(True)


_LABELS = {
    "cn": "C:N ratio",
    "n_pct": "Nitrogen",
    "moisture_pct": "Moisture",
    "density": "Bulk density",
}


def _plain(key: str, exc: v.ValidationError, typed: float) -> str:
    """The domain's message, phrased in the unit the user typed."""
    if key == "density":
        return (
            f"Bulk density must be more than 0 and at most "
            f"{v.MAX_DENSITY_KG_PER_L * 1000:g} kg/m³ (got {typed:g})."
        )
    if key == "moisture_pct":
        return f"Moisture must be from 0 to below 100 % of wet mass (got {typed:g})."
    return exc.message
