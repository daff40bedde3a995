# ruff: noqa
# mypy: ignore-errors
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'cycle_detail.ui'
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
from PySide6.QtWidgets import (QApplication, QDateTimeEdit, QFormLayout, QFrame,
    QGroupBox, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QProgressBar, QPushButton, QScrollArea,
    QSizePolicy, QSpacerItem, QTabWidget, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget)

from compost_desktop.gui.elided import ElidedLabel

class Ui_CycleDetail(object):
    def setupUi(self, CycleDetail):
        if not CycleDetail.objectName():
            CycleDetail.setObjectName(u"CycleDetail")
        CycleDetail.resize(1000, 700)
        self.main_layout = QVBoxLayout(CycleDetail)
        self.main_layout.setObjectName(u"main_layout")
        self.header_layout = QHBoxLayout()
        self.header_layout.setObjectName(u"header_layout")
        self.back_button = QPushButton(CycleDetail)
        self.back_button.setObjectName(u"back_button")

        self.header_layout.addWidget(self.back_button)

        self.title_label = ElidedLabel(CycleDetail)
        self.title_label.setObjectName(u"title_label")
        self.title_label.setStyleSheet(u"font-size: 15pt; font-weight: bold;")

        self.header_layout.addWidget(self.title_label)

        self.status_label = QLabel(CycleDetail)
        self.status_label.setObjectName(u"status_label")

        self.header_layout.addWidget(self.status_label)

        self.header_spacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.header_layout.addItem(self.header_spacer)

        self.report_button = QPushButton(CycleDetail)
        self.report_button.setObjectName(u"report_button")

        self.header_layout.addWidget(self.report_button)

        self.edit_button = QPushButton(CycleDetail)
        self.edit_button.setObjectName(u"edit_button")

        self.header_layout.addWidget(self.edit_button)

        self.activate_button = QPushButton(CycleDetail)
        self.activate_button.setObjectName(u"activate_button")

        self.header_layout.addWidget(self.activate_button)

        self.complete_button = QPushButton(CycleDetail)
        self.complete_button.setObjectName(u"complete_button")

        self.header_layout.addWidget(self.complete_button)

        self.archive_button = QPushButton(CycleDetail)
        self.archive_button.setObjectName(u"archive_button")

        self.header_layout.addWidget(self.archive_button)


        self.main_layout.addLayout(self.header_layout)

        self.error_label = QLabel(CycleDetail)
        self.error_label.setObjectName(u"error_label")
        self.error_label.setStyleSheet(u"color: #c62828;")
        self.error_label.setWordWrap(True)

        self.main_layout.addWidget(self.error_label)

        self.tabs = QTabWidget(CycleDetail)
        self.tabs.setObjectName(u"tabs")
        self.tabs.setDocumentMode(True)
        self.overview_tab = QWidget()
        self.overview_tab.setObjectName(u"overview_tab")
        self.overview_layout = QVBoxLayout(self.overview_tab)
        self.overview_layout.setObjectName(u"overview_layout")
        self.overview_layout.setContentsMargins(0, 0, 0, 0)
        self.overview_scroll = QScrollArea(self.overview_tab)
        self.overview_scroll.setObjectName(u"overview_scroll")
        self.overview_scroll.setFrameShape(QFrame.NoFrame)
        self.overview_scroll.setWidgetResizable(True)
        self.overview_content = QWidget()
        self.overview_content.setObjectName(u"overview_content")
        self.columns_layout = QHBoxLayout(self.overview_content)
        self.columns_layout.setObjectName(u"columns_layout")
        self.left_column = QVBoxLayout()
        self.left_column.setObjectName(u"left_column")
        self.fields_box = QGroupBox(self.overview_content)
        self.fields_box.setObjectName(u"fields_box")
        self.fields_form = QFormLayout(self.fields_box)
        self.fields_form.setObjectName(u"fields_form")
        self.start_caption = QLabel(self.fields_box)
        self.start_caption.setObjectName(u"start_caption")

        self.fields_form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.start_caption)

        self.start_value = QLabel(self.fields_box)
        self.start_value.setObjectName(u"start_value")

        self.fields_form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.start_value)

        self.end_caption = QLabel(self.fields_box)
        self.end_caption.setObjectName(u"end_caption")

        self.fields_form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.end_caption)

        self.end_value = QLabel(self.fields_box)
        self.end_value.setObjectName(u"end_value")

        self.fields_form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.end_value)

        self.capacity_caption = QLabel(self.fields_box)
        self.capacity_caption.setObjectName(u"capacity_caption")

        self.fields_form.setWidget(2, QFormLayout.ItemRole.LabelRole, self.capacity_caption)

        self.capacity_value = QLabel(self.fields_box)
        self.capacity_value.setObjectName(u"capacity_value")

        self.fields_form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.capacity_value)

        self.initial_caption = QLabel(self.fields_box)
        self.initial_caption.setObjectName(u"initial_caption")

        self.fields_form.setWidget(3, QFormLayout.ItemRole.LabelRole, self.initial_caption)

        self.initial_value = QLabel(self.fields_box)
        self.initial_value.setObjectName(u"initial_value")

        self.fields_form.setWidget(3, QFormLayout.ItemRole.FieldRole, self.initial_value)

        self.current_caption = QLabel(self.fields_box)
        self.current_caption.setObjectName(u"current_caption")

        self.fields_form.setWidget(4, QFormLayout.ItemRole.LabelRole, self.current_caption)

        self.current_value = QLabel(self.fields_box)
        self.current_value.setObjectName(u"current_value")

        self.fields_form.setWidget(4, QFormLayout.ItemRole.FieldRole, self.current_value)

        self.totals_caption = QLabel(self.fields_box)
        self.totals_caption.setObjectName(u"totals_caption")

        self.fields_form.setWidget(5, QFormLayout.ItemRole.LabelRole, self.totals_caption)

        self.totals_value = QLabel(self.fields_box)
        self.totals_value.setObjectName(u"totals_value")
        self.totals_value.setWordWrap(True)

        self.fields_form.setWidget(5, QFormLayout.ItemRole.FieldRole, self.totals_value)

        self.dates_caption = QLabel(self.fields_box)
        self.dates_caption.setObjectName(u"dates_caption")

        self.fields_form.setWidget(6, QFormLayout.ItemRole.LabelRole, self.dates_caption)

        self.dates_value = QLabel(self.fields_box)
        self.dates_value.setObjectName(u"dates_value")
        self.dates_value.setWordWrap(True)

        self.fields_form.setWidget(6, QFormLayout.ItemRole.FieldRole, self.dates_value)

        self.notes_caption = QLabel(self.fields_box)
        self.notes_caption.setObjectName(u"notes_caption")

        self.fields_form.setWidget(7, QFormLayout.ItemRole.LabelRole, self.notes_caption)

        self.notes_value = QLabel(self.fields_box)
        self.notes_value.setObjectName(u"notes_value")
        self.notes_value.setWordWrap(True)

        self.fields_form.setWidget(7, QFormLayout.ItemRole.FieldRole, self.notes_value)


        self.left_column.addWidget(self.fields_box)

        self.progress_box = QGroupBox(self.overview_content)
        self.progress_box.setObjectName(u"progress_box")
        self.progress_form = QFormLayout(self.progress_box)
        self.progress_form.setObjectName(u"progress_form")
        self.time_caption = QLabel(self.progress_box)
        self.time_caption.setObjectName(u"time_caption")

        self.progress_form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.time_caption)

        self.time_bar = QProgressBar(self.progress_box)
        self.time_bar.setObjectName(u"time_bar")

        self.progress_form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.time_bar)

        self.fill_caption = QLabel(self.progress_box)
        self.fill_caption.setObjectName(u"fill_caption")

        self.progress_form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.fill_caption)

        self.fill_bar = QProgressBar(self.progress_box)
        self.fill_bar.setObjectName(u"fill_bar")

        self.progress_form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.fill_bar)

        self.shrinkage_label = QLabel(self.progress_box)
        self.shrinkage_label.setObjectName(u"shrinkage_label")
        self.shrinkage_label.setWordWrap(True)

        self.progress_form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.shrinkage_label)


        self.left_column.addWidget(self.progress_box)

        self.mix_box = QGroupBox(self.overview_content)
        self.mix_box.setObjectName(u"mix_box")
        self.mix_layout = QVBoxLayout(self.mix_box)
        self.mix_layout.setObjectName(u"mix_layout")

        self.left_column.addWidget(self.mix_box)

        self.left_spacer = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.left_column.addItem(self.left_spacer)


        self.columns_layout.addLayout(self.left_column)

        self.right_column = QVBoxLayout()
        self.right_column.setObjectName(u"right_column")
        self.inputs_box = QGroupBox(self.overview_content)
        self.inputs_box.setObjectName(u"inputs_box")
        self.inputs_layout = QVBoxLayout(self.inputs_box)
        self.inputs_layout.setObjectName(u"inputs_layout")
        self.inputs_table = QTableWidget(self.inputs_box)
        self.inputs_table.setObjectName(u"inputs_table")

        self.inputs_layout.addWidget(self.inputs_table)

        self.inputs_buttons = QHBoxLayout()
        self.inputs_buttons.setObjectName(u"inputs_buttons")
        self.add_input_button = QPushButton(self.inputs_box)
        self.add_input_button.setObjectName(u"add_input_button")

        self.inputs_buttons.addWidget(self.add_input_button)

        self.edit_input_button = QPushButton(self.inputs_box)
        self.edit_input_button.setObjectName(u"edit_input_button")

        self.inputs_buttons.addWidget(self.edit_input_button)

        self.delete_input_button = QPushButton(self.inputs_box)
        self.delete_input_button.setObjectName(u"delete_input_button")

        self.inputs_buttons.addWidget(self.delete_input_button)

        self.undo_button = QPushButton(self.inputs_box)
        self.undo_button.setObjectName(u"undo_button")

        self.inputs_buttons.addWidget(self.undo_button)

        self.inputs_spacer = QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.inputs_buttons.addItem(self.inputs_spacer)


        self.inputs_layout.addLayout(self.inputs_buttons)


        self.right_column.addWidget(self.inputs_box)

        self.turnings_box = QGroupBox(self.overview_content)
        self.turnings_box.setObjectName(u"turnings_box")
        self.turnings_layout = QVBoxLayout(self.turnings_box)
        self.turnings_layout.setObjectName(u"turnings_layout")
        self.turnings_table = QTableWidget(self.turnings_box)
        self.turnings_table.setObjectName(u"turnings_table")

        self.turnings_layout.addWidget(self.turnings_table)

        self.turning_form = QHBoxLayout()
        self.turning_form.setObjectName(u"turning_form")
        self.turned_at = QDateTimeEdit(self.turnings_box)
        self.turned_at.setObjectName(u"turned_at")
        self.turned_at.setCalendarPopup(True)

        self.turning_form.addWidget(self.turned_at)

        self.operator_edit = QLineEdit(self.turnings_box)
        self.operator_edit.setObjectName(u"operator_edit")

        self.turning_form.addWidget(self.operator_edit)

        self.turning_notes = QLineEdit(self.turnings_box)
        self.turning_notes.setObjectName(u"turning_notes")

        self.turning_form.addWidget(self.turning_notes)

        self.add_turning_button = QPushButton(self.turnings_box)
        self.add_turning_button.setObjectName(u"add_turning_button")

        self.turning_form.addWidget(self.add_turning_button)


        self.turnings_layout.addLayout(self.turning_form)


        self.right_column.addWidget(self.turnings_box)

        self.right_column.setStretch(0, 3)
        self.right_column.setStretch(1, 2)

        self.columns_layout.addLayout(self.right_column)

        self.columns_layout.setStretch(0, 2)
        self.columns_layout.setStretch(1, 3)
        self.overview_scroll.setWidget(self.overview_content)

        self.overview_layout.addWidget(self.overview_scroll)

        self.tabs.addTab(self.overview_tab, "")
        self.history_tab = QWidget()
        self.history_tab.setObjectName(u"history_tab")
        self.history_layout = QVBoxLayout(self.history_tab)
        self.history_layout.setObjectName(u"history_layout")
        self.tabs.addTab(self.history_tab, "")
        self.hand_readings_tab = QWidget()
        self.hand_readings_tab.setObjectName(u"hand_readings_tab")
        self.hand_readings_layout = QVBoxLayout(self.hand_readings_tab)
        self.hand_readings_layout.setObjectName(u"hand_readings_layout")
        self.tabs.addTab(self.hand_readings_tab, "")

        self.main_layout.addWidget(self.tabs)


        self.retranslateUi(CycleDetail)

        self.tabs.setCurrentIndex(0)

    # setupUi

    def retranslateUi(self, CycleDetail):
        self.back_button.setText(QCoreApplication.translate("CycleDetail", u"\u2190 Back", None))
#if QT_CONFIG(tooltip)
        self.back_button.setToolTip(QCoreApplication.translate("CycleDetail", u"Back to the list (Esc)", None))
#endif // QT_CONFIG(tooltip)
        self.report_button.setText(QCoreApplication.translate("CycleDetail", u"Re&port\u2026", None))
#if QT_CONFIG(tooltip)
        self.report_button.setToolTip(QCoreApplication.translate("CycleDetail", u"The cycle report for inspectors and customers: preview, save as PDF or print (Ctrl+P)", None))
#endif // QT_CONFIG(tooltip)
        self.edit_button.setText(QCoreApplication.translate("CycleDetail", u"&Edit\u2026", None))
        self.activate_button.setText(QCoreApplication.translate("CycleDetail", u"&Activate", None))
        self.complete_button.setText(QCoreApplication.translate("CycleDetail", u"&Complete", None))
        self.archive_button.setText(QCoreApplication.translate("CycleDetail", u"A&rchive", None))
        self.fields_box.setTitle(QCoreApplication.translate("CycleDetail", u"Cycle", None))
        self.start_caption.setText(QCoreApplication.translate("CycleDetail", u"Start", None))
        self.end_caption.setText(QCoreApplication.translate("CycleDetail", u"Projected end", None))
        self.capacity_caption.setText(QCoreApplication.translate("CycleDetail", u"Bay capacity", None))
        self.initial_caption.setText(QCoreApplication.translate("CycleDetail", u"Initial volume", None))
        self.current_caption.setText(QCoreApplication.translate("CycleDetail", u"Current volume", None))
        self.totals_caption.setText(QCoreApplication.translate("CycleDetail", u"Inputs", None))
        self.dates_caption.setText(QCoreApplication.translate("CycleDetail", u"History", None))
        self.notes_caption.setText(QCoreApplication.translate("CycleDetail", u"Notes", None))
        self.progress_box.setTitle(QCoreApplication.translate("CycleDetail", u"Progress", None))
        self.time_caption.setText(QCoreApplication.translate("CycleDetail", u"Time elapsed", None))
        self.fill_caption.setText(QCoreApplication.translate("CycleDetail", u"Fill of the bay", None))
        self.mix_box.setTitle(QCoreApplication.translate("CycleDetail", u"Mix", None))
        self.inputs_box.setTitle(QCoreApplication.translate("CycleDetail", u"Inputs", None))
        self.add_input_button.setText(QCoreApplication.translate("CycleDetail", u"Add input\u2026", None))
        self.edit_input_button.setText(QCoreApplication.translate("CycleDetail", u"Edit input\u2026", None))
        self.delete_input_button.setText(QCoreApplication.translate("CycleDetail", u"Delete input", None))
        self.undo_button.setText(QCoreApplication.translate("CycleDetail", u"Undo", None))
        self.turnings_box.setTitle(QCoreApplication.translate("CycleDetail", u"Turning log", None))
        self.operator_edit.setPlaceholderText(QCoreApplication.translate("CycleDetail", u"who", None))
        self.turning_notes.setPlaceholderText(QCoreApplication.translate("CycleDetail", u"notes", None))
        self.add_turning_button.setText(QCoreApplication.translate("CycleDetail", u"Add &turning", None))
        self.tabs.setTabText(self.tabs.indexOf(self.overview_tab), QCoreApplication.translate("CycleDetail", u"Overview", None))
#if QT_CONFIG(tooltip)
        self.tabs.setTabToolTip(self.tabs.indexOf(self.overview_tab), QCoreApplication.translate("CycleDetail", u"Fields, mix, progress, inputs and turnings (Ctrl+Tab to switch)", None))
#endif // QT_CONFIG(tooltip)
        self.tabs.setTabText(self.tabs.indexOf(self.history_tab), QCoreApplication.translate("CycleDetail", u"History", None))
#if QT_CONFIG(tooltip)
        self.tabs.setTabToolTip(self.tabs.indexOf(self.history_tab), QCoreApplication.translate("CycleDetail", u"Temperature, moisture and the other readings over the whole cycle (Ctrl+Tab to switch)", None))
#endif // QT_CONFIG(tooltip)
        self.tabs.setTabText(self.tabs.indexOf(self.hand_readings_tab), QCoreApplication.translate("CycleDetail", u"Hand readings", None))
#if QT_CONFIG(tooltip)
        self.tabs.setTabToolTip(self.tabs.indexOf(self.hand_readings_tab), QCoreApplication.translate("CycleDetail", u"Readings taken with a hand probe: add, review and delete (Ctrl+Tab to switch)", None))
#endif // QT_CONFIG(tooltip)
        pass
    # retranslateUi

