# ruff: noqa
# mypy: ignore-errors
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'cycle_dialog.ui'
##
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QAbstractButton, QApplication, QDateEdit, QDialog,
    QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
    QPushButton, QSizePolicy, QSpacerItem, QVBoxLayout,
    QWidget)

class Ui_CycleDialog(object):
    def setupUi(self, CycleDialog):
        if not CycleDialog.objectName():
            CycleDialog.setObjectName(u"CycleDialog")
        CycleDialog.resize(860, 720)
        self.main_layout = QVBoxLayout(CycleDialog)
        self.main_layout.setObjectName(u"main_layout")
        self.fields_layout = QHBoxLayout()
        self.fields_layout.setObjectName(u"fields_layout")
        self.left_form = QFormLayout()
        self.left_form.setObjectName(u"left_form")
        self.name_label = QLabel(CycleDialog)
        self.name_label.setObjectName(u"name_label")

        self.left_form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.name_label)

        self.name_edit = QLineEdit(CycleDialog)
        self.name_edit.setObjectName(u"name_edit")
        self.name_edit.setMaxLength(120)

        self.left_form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.name_edit)

        self.start_label = QLabel(CycleDialog)
        self.start_label.setObjectName(u"start_label")

        self.left_form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.start_label)

        self.start_date = QDateEdit(CycleDialog)
        self.start_date.setObjectName(u"start_date")
        self.start_date.setCalendarPopup(True)

        self.left_form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.start_date)

        self.end_label = QLabel(CycleDialog)
        self.end_label.setObjectName(u"end_label")

        self.left_form.setWidget(2, QFormLayout.ItemRole.LabelRole, self.end_label)

        self.end_date = QDateEdit(CycleDialog)
        self.end_date.setObjectName(u"end_date")
        self.end_date.setCalendarPopup(True)

        self.left_form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.end_date)

        self.date_error = QLabel(CycleDialog)
        self.date_error.setObjectName(u"date_error")
        self.date_error.setStyleSheet(u"color: #c62828;")
        self.date_error.setWordWrap(True)

        self.left_form.setWidget(3, QFormLayout.ItemRole.FieldRole, self.date_error)


        self.fields_layout.addLayout(self.left_form)

        self.right_form = QFormLayout()
        self.right_form.setObjectName(u"right_form")
        self.capacity_label = QLabel(CycleDialog)
        self.capacity_label.setObjectName(u"capacity_label")

        self.right_form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.capacity_label)

        self.capacity = QDoubleSpinBox(CycleDialog)
        self.capacity.setObjectName(u"capacity")
        self.capacity.setDecimals(0)
        self.capacity.setMaximum(10000000.000000000000000)
        self.capacity.setSingleStep(100.000000000000000)

        self.right_form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.capacity)

        self.initial_label = QLabel(CycleDialog)
        self.initial_label.setObjectName(u"initial_label")

        self.right_form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.initial_label)

        self.initial_volume = QDoubleSpinBox(CycleDialog)
        self.initial_volume.setObjectName(u"initial_volume")
        self.initial_volume.setDecimals(0)
        self.initial_volume.setMaximum(10000000.000000000000000)
        self.initial_volume.setSingleStep(100.000000000000000)

        self.right_form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.initial_volume)

        self.current_label = QLabel(CycleDialog)
        self.current_label.setObjectName(u"current_label")

        self.right_form.setWidget(2, QFormLayout.ItemRole.LabelRole, self.current_label)

        self.current_volume = QDoubleSpinBox(CycleDialog)
        self.current_volume.setObjectName(u"current_volume")
        self.current_volume.setDecimals(0)
        self.current_volume.setMaximum(10000000.000000000000000)
        self.current_volume.setSingleStep(100.000000000000000)

        self.right_form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.current_volume)

        self.estimated_volume = QLabel(CycleDialog)
        self.estimated_volume.setObjectName(u"estimated_volume")
        self.estimated_volume.setWordWrap(True)

        self.right_form.setWidget(3, QFormLayout.ItemRole.FieldRole, self.estimated_volume)


        self.fields_layout.addLayout(self.right_form)


        self.main_layout.addLayout(self.fields_layout)

        self.notes_label = QLabel(CycleDialog)
        self.notes_label.setObjectName(u"notes_label")

        self.main_layout.addWidget(self.notes_label)

        self.notes = QPlainTextEdit(CycleDialog)
        self.notes.setObjectName(u"notes")
        self.notes.setMaximumSize(QSize(16777215, 64))

        self.main_layout.addWidget(self.notes)

        self.inputs_box = QGroupBox(CycleDialog)
        self.inputs_box.setObjectName(u"inputs_box")
        self.inputs_layout = QVBoxLayout(self.inputs_box)
        self.inputs_layout.setObjectName(u"inputs_layout")
        self.inputs_buttons = QHBoxLayout()
        self.inputs_buttons.setObjectName(u"inputs_buttons")
        self.add_row_button = QPushButton(self.inputs_box)
        self.add_row_button.setObjectName(u"add_row_button")

        self.inputs_buttons.addWidget(self.add_row_button)

        self.inputs_spacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.inputs_buttons.addItem(self.inputs_spacer)


        self.inputs_layout.addLayout(self.inputs_buttons)


        self.main_layout.addWidget(self.inputs_box)

        self.mix_box = QGroupBox(CycleDialog)
        self.mix_box.setObjectName(u"mix_box")
        self.mix_layout = QVBoxLayout(self.mix_box)
        self.mix_layout.setObjectName(u"mix_layout")

        self.main_layout.addWidget(self.mix_box)

        self.error_label = QLabel(CycleDialog)
        self.error_label.setObjectName(u"error_label")
        self.error_label.setStyleSheet(u"color: #c62828;")
        self.error_label.setWordWrap(True)

        self.main_layout.addWidget(self.error_label)

        self.button_box = QDialogButtonBox(CycleDialog)
        self.button_box.setObjectName(u"button_box")
        self.button_box.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Save)

        self.main_layout.addWidget(self.button_box)

#if QT_CONFIG(shortcut)
        self.name_label.setBuddy(self.name_edit)
        self.start_label.setBuddy(self.start_date)
        self.end_label.setBuddy(self.end_date)
        self.capacity_label.setBuddy(self.capacity)
        self.initial_label.setBuddy(self.initial_volume)
        self.current_label.setBuddy(self.current_volume)
        self.notes_label.setBuddy(self.notes)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.name_edit, self.start_date)
        QWidget.setTabOrder(self.start_date, self.end_date)
        QWidget.setTabOrder(self.end_date, self.capacity)
        QWidget.setTabOrder(self.capacity, self.initial_volume)
        QWidget.setTabOrder(self.initial_volume, self.current_volume)
        QWidget.setTabOrder(self.current_volume, self.notes)
        QWidget.setTabOrder(self.notes, self.add_row_button)

        self.retranslateUi(CycleDialog)
    # setupUi

    def retranslateUi(self, CycleDialog):
        CycleDialog.setWindowTitle(QCoreApplication.translate("CycleDialog", u"New cycle", None))
        self.name_label.setText(QCoreApplication.translate("CycleDialog", u"&Name", None))
        self.name_edit.setPlaceholderText(QCoreApplication.translate("CycleDialog", u"e.g. Bay 2 \u2013 spring windrow", None))
        self.start_label.setText(QCoreApplication.translate("CycleDialog", u"&Start", None))
        self.end_label.setText(QCoreApplication.translate("CycleDialog", u"Projected &end", None))
        self.capacity_label.setText(QCoreApplication.translate("CycleDialog", u"Bay &capacity", None))
        self.capacity.setSpecialValueText(QCoreApplication.translate("CycleDialog", u"not set", None))
        self.initial_label.setText(QCoreApplication.translate("CycleDialog", u"&Initial volume", None))
        self.initial_volume.setSpecialValueText(QCoreApplication.translate("CycleDialog", u"not set", None))
        self.current_label.setText(QCoreApplication.translate("CycleDialog", u"C&urrent volume", None))
        self.current_volume.setSpecialValueText(QCoreApplication.translate("CycleDialog", u"not measured", None))
        self.notes_label.setText(QCoreApplication.translate("CycleDialog", u"N&otes", None))
        self.notes.setPlaceholderText(QCoreApplication.translate("CycleDialog", u"Where the pile is, what it is for, anything unusual\u2026", None))
        self.inputs_box.setTitle(QCoreApplication.translate("CycleDialog", u"Waste inputs", None))
        self.add_row_button.setText(QCoreApplication.translate("CycleDialog", u"&Add row", None))
        self.mix_box.setTitle(QCoreApplication.translate("CycleDialog", u"Mix", None))
    # retranslateUi

