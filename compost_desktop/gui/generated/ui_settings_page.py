# ruff: noqa
# mypy: ignore-errors
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'settings_page.ui'
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
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDoubleSpinBox,
    QFormLayout, QFrame, QGroupBox, QHBoxLayout,
    QLabel, QLineEdit, QPushButton, QRadioButton,
    QScrollArea, QSizePolicy, QSpacerItem, QSpinBox,
    QVBoxLayout, QWidget)

class Ui_SettingsPage(object):
    def setupUi(self, SettingsPage):
        if not SettingsPage.objectName():
            SettingsPage.setObjectName(u"SettingsPage")
        SettingsPage.resize(950, 700)
        self.pageLayout = QVBoxLayout(SettingsPage)
        self.pageLayout.setObjectName(u"pageLayout")
        self.titleLabel = QLabel(SettingsPage)
        self.titleLabel.setObjectName(u"titleLabel")

        self.pageLayout.addWidget(self.titleLabel)

        self.scrollArea = QScrollArea(SettingsPage)
        self.scrollArea.setObjectName(u"scrollArea")
        self.scrollArea.setWidgetResizable(True)
        self.scrollArea.setFrameShape(QFrame.NoFrame)
        self.scrollContents = QWidget()
        self.scrollContents.setObjectName(u"scrollContents")
        self.columns = QHBoxLayout(self.scrollContents)
        self.columns.setObjectName(u"columns")
        self.leftColumn = QVBoxLayout()
        self.leftColumn.setObjectName(u"leftColumn")
        self.databaseGroup = QGroupBox(self.scrollContents)
        self.databaseGroup.setObjectName(u"databaseGroup")
        self.databaseLayout = QVBoxLayout(self.databaseGroup)
        self.databaseLayout.setObjectName(u"databaseLayout")
        self.embeddedRadio = QRadioButton(self.databaseGroup)
        self.embeddedRadio.setObjectName(u"embeddedRadio")

        self.databaseLayout.addWidget(self.embeddedRadio)

        self.serverRadio = QRadioButton(self.databaseGroup)
        self.serverRadio.setObjectName(u"serverRadio")

        self.databaseLayout.addWidget(self.serverRadio)

        self.serverFields = QWidget(self.databaseGroup)
        self.serverFields.setObjectName(u"serverFields")
        self.serverForm = QFormLayout(self.serverFields)
        self.serverForm.setObjectName(u"serverForm")
        self.serverForm.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.serverForm.setContentsMargins(0, 0, 0, 0)
        self.hostEditLabel = QLabel(self.serverFields)
        self.hostEditLabel.setObjectName(u"hostEditLabel")

        self.serverForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.hostEditLabel)

        self.hostEdit = QLineEdit(self.serverFields)
        self.hostEdit.setObjectName(u"hostEdit")

        self.serverForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.hostEdit)

        self.portSpinLabel = QLabel(self.serverFields)
        self.portSpinLabel.setObjectName(u"portSpinLabel")

        self.serverForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.portSpinLabel)

        self.portSpin = QSpinBox(self.serverFields)
        self.portSpin.setObjectName(u"portSpin")
        self.portSpin.setMinimum(1)
        self.portSpin.setMaximum(65535)
        self.portSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.serverForm.setWidget(1, QFormLayout.ItemRole.FieldRole, self.portSpin)

        self.dbNameEditLabel = QLabel(self.serverFields)
        self.dbNameEditLabel.setObjectName(u"dbNameEditLabel")

        self.serverForm.setWidget(2, QFormLayout.ItemRole.LabelRole, self.dbNameEditLabel)

        self.dbNameEdit = QLineEdit(self.serverFields)
        self.dbNameEdit.setObjectName(u"dbNameEdit")

        self.serverForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.dbNameEdit)

        self.userEditLabel = QLabel(self.serverFields)
        self.userEditLabel.setObjectName(u"userEditLabel")

        self.serverForm.setWidget(3, QFormLayout.ItemRole.LabelRole, self.userEditLabel)

        self.userEdit = QLineEdit(self.serverFields)
        self.userEdit.setObjectName(u"userEdit")

        self.serverForm.setWidget(3, QFormLayout.ItemRole.FieldRole, self.userEdit)

        self.passwordEditLabel = QLabel(self.serverFields)
        self.passwordEditLabel.setObjectName(u"passwordEditLabel")

        self.serverForm.setWidget(4, QFormLayout.ItemRole.LabelRole, self.passwordEditLabel)

        self.passwordEdit = QLineEdit(self.serverFields)
        self.passwordEdit.setObjectName(u"passwordEdit")
        self.passwordEdit.setEchoMode(QLineEdit.Password)

        self.serverForm.setWidget(4, QFormLayout.ItemRole.FieldRole, self.passwordEdit)


        self.databaseLayout.addWidget(self.serverFields)

        self.urlRadio = QRadioButton(self.databaseGroup)
        self.urlRadio.setObjectName(u"urlRadio")

        self.databaseLayout.addWidget(self.urlRadio)

        self.urlFields = QWidget(self.databaseGroup)
        self.urlFields.setObjectName(u"urlFields")
        self.urlForm = QFormLayout(self.urlFields)
        self.urlForm.setObjectName(u"urlForm")
        self.urlForm.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.urlForm.setContentsMargins(0, 0, 0, 0)
        self.urlEditLabel = QLabel(self.urlFields)
        self.urlEditLabel.setObjectName(u"urlEditLabel")

        self.urlForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.urlEditLabel)

        self.urlEdit = QLineEdit(self.urlFields)
        self.urlEdit.setObjectName(u"urlEdit")

        self.urlForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.urlEdit)

        self.urlError = QLabel(self.urlFields)
        self.urlError.setObjectName(u"urlError")
        self.urlError.setWordWrap(True)
        self.urlError.setStyleSheet(u"color: #c62828;")

        self.urlForm.setWidget(1, QFormLayout.ItemRole.SpanningRole, self.urlError)


        self.databaseLayout.addWidget(self.urlFields)

        self.testRow = QHBoxLayout()
        self.testRow.setObjectName(u"testRow")
        self.testButton = QPushButton(self.databaseGroup)
        self.testButton.setObjectName(u"testButton")

        self.testRow.addWidget(self.testButton)

        self.testResult = QLabel(self.databaseGroup)
        self.testResult.setObjectName(u"testResult")
        self.testResult.setWordWrap(True)
        self.testResult.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.testRow.addWidget(self.testResult)


        self.databaseLayout.addLayout(self.testRow)

        self.databaseNote = QLabel(self.databaseGroup)
        self.databaseNote.setObjectName(u"databaseNote")
        self.databaseNote.setWordWrap(True)
        self.databaseNote.setStyleSheet(u"color: palette(placeholder-text);")

        self.databaseLayout.addWidget(self.databaseNote)


        self.leftColumn.addWidget(self.databaseGroup)

        self.mqttGroup = QGroupBox(self.scrollContents)
        self.mqttGroup.setObjectName(u"mqttGroup")
        self.mqttForm = QFormLayout(self.mqttGroup)
        self.mqttForm.setObjectName(u"mqttForm")
        self.mqttForm.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.mqttHostEditLabel = QLabel(self.mqttGroup)
        self.mqttHostEditLabel.setObjectName(u"mqttHostEditLabel")

        self.mqttForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.mqttHostEditLabel)

        self.mqttHostEdit = QLineEdit(self.mqttGroup)
        self.mqttHostEdit.setObjectName(u"mqttHostEdit")

        self.mqttForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.mqttHostEdit)

        self.mqttPortSpinLabel = QLabel(self.mqttGroup)
        self.mqttPortSpinLabel.setObjectName(u"mqttPortSpinLabel")

        self.mqttForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.mqttPortSpinLabel)

        self.mqttPortSpin = QSpinBox(self.mqttGroup)
        self.mqttPortSpin.setObjectName(u"mqttPortSpin")
        self.mqttPortSpin.setMinimum(1)
        self.mqttPortSpin.setMaximum(65535)
        self.mqttPortSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.mqttForm.setWidget(1, QFormLayout.ItemRole.FieldRole, self.mqttPortSpin)

        self.mqttUserEditLabel = QLabel(self.mqttGroup)
        self.mqttUserEditLabel.setObjectName(u"mqttUserEditLabel")

        self.mqttForm.setWidget(2, QFormLayout.ItemRole.LabelRole, self.mqttUserEditLabel)

        self.mqttUserEdit = QLineEdit(self.mqttGroup)
        self.mqttUserEdit.setObjectName(u"mqttUserEdit")

        self.mqttForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.mqttUserEdit)

        self.mqttPasswordEditLabel = QLabel(self.mqttGroup)
        self.mqttPasswordEditLabel.setObjectName(u"mqttPasswordEditLabel")

        self.mqttForm.setWidget(3, QFormLayout.ItemRole.LabelRole, self.mqttPasswordEditLabel)

        self.mqttPasswordEdit = QLineEdit(self.mqttGroup)
        self.mqttPasswordEdit.setObjectName(u"mqttPasswordEdit")
        self.mqttPasswordEdit.setEchoMode(QLineEdit.Password)

        self.mqttForm.setWidget(3, QFormLayout.ItemRole.FieldRole, self.mqttPasswordEdit)

        self.mqttTlsCheckLabel = QLabel(self.mqttGroup)
        self.mqttTlsCheckLabel.setObjectName(u"mqttTlsCheckLabel")

        self.mqttForm.setWidget(4, QFormLayout.ItemRole.LabelRole, self.mqttTlsCheckLabel)

        self.mqttTlsCheck = QCheckBox(self.mqttGroup)
        self.mqttTlsCheck.setObjectName(u"mqttTlsCheck")

        self.mqttForm.setWidget(4, QFormLayout.ItemRole.FieldRole, self.mqttTlsCheck)

        self.mqttClientIdEditLabel = QLabel(self.mqttGroup)
        self.mqttClientIdEditLabel.setObjectName(u"mqttClientIdEditLabel")

        self.mqttForm.setWidget(5, QFormLayout.ItemRole.LabelRole, self.mqttClientIdEditLabel)

        self.mqttClientIdEdit = QLineEdit(self.mqttGroup)
        self.mqttClientIdEdit.setObjectName(u"mqttClientIdEdit")

        self.mqttForm.setWidget(5, QFormLayout.ItemRole.FieldRole, self.mqttClientIdEdit)

        self.dataTopicEditLabel = QLabel(self.mqttGroup)
        self.dataTopicEditLabel.setObjectName(u"dataTopicEditLabel")

        self.mqttForm.setWidget(6, QFormLayout.ItemRole.LabelRole, self.dataTopicEditLabel)

        self.dataTopicEdit = QLineEdit(self.mqttGroup)
        self.dataTopicEdit.setObjectName(u"dataTopicEdit")

        self.mqttForm.setWidget(6, QFormLayout.ItemRole.FieldRole, self.dataTopicEdit)

        self.statusTopicEditLabel = QLabel(self.mqttGroup)
        self.statusTopicEditLabel.setObjectName(u"statusTopicEditLabel")

        self.mqttForm.setWidget(7, QFormLayout.ItemRole.LabelRole, self.statusTopicEditLabel)

        self.statusTopicEdit = QLineEdit(self.mqttGroup)
        self.statusTopicEdit.setObjectName(u"statusTopicEdit")

        self.mqttForm.setWidget(7, QFormLayout.ItemRole.FieldRole, self.statusTopicEdit)

        self.esphomeTopicEditLabel = QLabel(self.mqttGroup)
        self.esphomeTopicEditLabel.setObjectName(u"esphomeTopicEditLabel")

        self.mqttForm.setWidget(8, QFormLayout.ItemRole.LabelRole, self.esphomeTopicEditLabel)

        self.esphomeTopicEdit = QLineEdit(self.mqttGroup)
        self.esphomeTopicEdit.setObjectName(u"esphomeTopicEdit")

        self.mqttForm.setWidget(8, QFormLayout.ItemRole.FieldRole, self.esphomeTopicEdit)

        self.tasmotaTopicEditLabel = QLabel(self.mqttGroup)
        self.tasmotaTopicEditLabel.setObjectName(u"tasmotaTopicEditLabel")

        self.mqttForm.setWidget(9, QFormLayout.ItemRole.LabelRole, self.tasmotaTopicEditLabel)

        self.tasmotaTopicEdit = QLineEdit(self.mqttGroup)
        self.tasmotaTopicEdit.setObjectName(u"tasmotaTopicEdit")

        self.mqttForm.setWidget(9, QFormLayout.ItemRole.FieldRole, self.tasmotaTopicEdit)

        self.staleSpinLabel = QLabel(self.mqttGroup)
        self.staleSpinLabel.setObjectName(u"staleSpinLabel")

        self.mqttForm.setWidget(10, QFormLayout.ItemRole.LabelRole, self.staleSpinLabel)

        self.staleSpin = QSpinBox(self.mqttGroup)
        self.staleSpin.setObjectName(u"staleSpin")
        self.staleSpin.setMinimum(10)
        self.staleSpin.setMaximum(86400)
        self.staleSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.mqttForm.setWidget(10, QFormLayout.ItemRole.FieldRole, self.staleSpin)


        self.leftColumn.addWidget(self.mqttGroup)

        self.leftSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.leftColumn.addItem(self.leftSpacer)


        self.columns.addLayout(self.leftColumn)

        self.rightColumn = QVBoxLayout()
        self.rightColumn.setObjectName(u"rightColumn")
        self.bandGroup = QGroupBox(self.scrollContents)
        self.bandGroup.setObjectName(u"bandGroup")
        self.bandForm = QFormLayout(self.bandGroup)
        self.bandForm.setObjectName(u"bandForm")
        self.bandForm.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.cnLowSpinLabel = QLabel(self.bandGroup)
        self.cnLowSpinLabel.setObjectName(u"cnLowSpinLabel")

        self.bandForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.cnLowSpinLabel)

        self.cnLowSpin = QDoubleSpinBox(self.bandGroup)
        self.cnLowSpin.setObjectName(u"cnLowSpin")
        self.cnLowSpin.setMinimum(1.000000000000000)
        self.cnLowSpin.setMaximum(200.000000000000000)
        self.cnLowSpin.setDecimals(1)
        self.cnLowSpin.setSingleStep(0.500000000000000)
        self.cnLowSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.bandForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.cnLowSpin)

        self.cnTargetSpinLabel = QLabel(self.bandGroup)
        self.cnTargetSpinLabel.setObjectName(u"cnTargetSpinLabel")

        self.bandForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.cnTargetSpinLabel)

        self.cnTargetSpin = QDoubleSpinBox(self.bandGroup)
        self.cnTargetSpin.setObjectName(u"cnTargetSpin")
        self.cnTargetSpin.setMinimum(1.000000000000000)
        self.cnTargetSpin.setMaximum(200.000000000000000)
        self.cnTargetSpin.setDecimals(1)
        self.cnTargetSpin.setSingleStep(0.500000000000000)
        self.cnTargetSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.bandForm.setWidget(1, QFormLayout.ItemRole.FieldRole, self.cnTargetSpin)

        self.cnHighSpinLabel = QLabel(self.bandGroup)
        self.cnHighSpinLabel.setObjectName(u"cnHighSpinLabel")

        self.bandForm.setWidget(2, QFormLayout.ItemRole.LabelRole, self.cnHighSpinLabel)

        self.cnHighSpin = QDoubleSpinBox(self.bandGroup)
        self.cnHighSpin.setObjectName(u"cnHighSpin")
        self.cnHighSpin.setMinimum(1.000000000000000)
        self.cnHighSpin.setMaximum(200.000000000000000)
        self.cnHighSpin.setDecimals(1)
        self.cnHighSpin.setSingleStep(0.500000000000000)
        self.cnHighSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.bandForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.cnHighSpin)

        self.bandError = QLabel(self.bandGroup)
        self.bandError.setObjectName(u"bandError")
        self.bandError.setWordWrap(True)
        self.bandError.setStyleSheet(u"color: #c62828;")

        self.bandForm.setWidget(3, QFormLayout.ItemRole.SpanningRole, self.bandError)

        self.bandNote = QLabel(self.bandGroup)
        self.bandNote.setObjectName(u"bandNote")
        self.bandNote.setWordWrap(True)
        self.bandNote.setStyleSheet(u"color: palette(placeholder-text);")

        self.bandForm.setWidget(4, QFormLayout.ItemRole.SpanningRole, self.bandNote)


        self.rightColumn.addWidget(self.bandGroup)

        self.unitsGroup = QGroupBox(self.scrollContents)
        self.unitsGroup.setObjectName(u"unitsGroup")
        self.unitsForm = QFormLayout(self.unitsGroup)
        self.unitsForm.setObjectName(u"unitsForm")
        self.unitsForm.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.massComboLabel = QLabel(self.unitsGroup)
        self.massComboLabel.setObjectName(u"massComboLabel")

        self.unitsForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.massComboLabel)

        self.massCombo = QComboBox(self.unitsGroup)
        self.massCombo.setObjectName(u"massCombo")

        self.unitsForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.massCombo)

        self.temperatureComboLabel = QLabel(self.unitsGroup)
        self.temperatureComboLabel.setObjectName(u"temperatureComboLabel")

        self.unitsForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.temperatureComboLabel)

        self.temperatureCombo = QComboBox(self.unitsGroup)
        self.temperatureCombo.setObjectName(u"temperatureCombo")

        self.unitsForm.setWidget(1, QFormLayout.ItemRole.FieldRole, self.temperatureCombo)

        self.volumeComboLabel = QLabel(self.unitsGroup)
        self.volumeComboLabel.setObjectName(u"volumeComboLabel")

        self.unitsForm.setWidget(2, QFormLayout.ItemRole.LabelRole, self.volumeComboLabel)

        self.volumeCombo = QComboBox(self.unitsGroup)
        self.volumeCombo.setObjectName(u"volumeCombo")

        self.unitsForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.volumeCombo)

        self.unitsNote = QLabel(self.unitsGroup)
        self.unitsNote.setObjectName(u"unitsNote")
        self.unitsNote.setWordWrap(True)
        self.unitsNote.setStyleSheet(u"color: palette(placeholder-text);")

        self.unitsForm.setWidget(3, QFormLayout.ItemRole.SpanningRole, self.unitsNote)


        self.rightColumn.addWidget(self.unitsGroup)

        self.alarmsGroup = QGroupBox(self.scrollContents)
        self.alarmsGroup.setObjectName(u"alarmsGroup")
        self.alarmsForm = QFormLayout(self.alarmsGroup)
        self.alarmsForm.setObjectName(u"alarmsForm")
        self.alarmsForm.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.tooHotSpinLabel = QLabel(self.alarmsGroup)
        self.tooHotSpinLabel.setObjectName(u"tooHotSpinLabel")

        self.alarmsForm.setWidget(0, QFormLayout.ItemRole.LabelRole, self.tooHotSpinLabel)

        self.tooHotSpin = QDoubleSpinBox(self.alarmsGroup)
        self.tooHotSpin.setObjectName(u"tooHotSpin")
        self.tooHotSpin.setMinimum(-50.000000000000000)
        self.tooHotSpin.setMaximum(200.000000000000000)
        self.tooHotSpin.setDecimals(1)
        self.tooHotSpin.setSingleStep(0.500000000000000)
        self.tooHotSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.alarmsForm.setWidget(0, QFormLayout.ItemRole.FieldRole, self.tooHotSpin)

        self.tooColdSpinLabel = QLabel(self.alarmsGroup)
        self.tooColdSpinLabel.setObjectName(u"tooColdSpinLabel")

        self.alarmsForm.setWidget(1, QFormLayout.ItemRole.LabelRole, self.tooColdSpinLabel)

        self.tooColdSpin = QDoubleSpinBox(self.alarmsGroup)
        self.tooColdSpin.setObjectName(u"tooColdSpin")
        self.tooColdSpin.setMinimum(-50.000000000000000)
        self.tooColdSpin.setMaximum(200.000000000000000)
        self.tooColdSpin.setDecimals(1)
        self.tooColdSpin.setSingleStep(0.500000000000000)
        self.tooColdSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.alarmsForm.setWidget(1, QFormLayout.ItemRole.FieldRole, self.tooColdSpin)

        self.tooDrySpinLabel = QLabel(self.alarmsGroup)
        self.tooDrySpinLabel.setObjectName(u"tooDrySpinLabel")

        self.alarmsForm.setWidget(2, QFormLayout.ItemRole.LabelRole, self.tooDrySpinLabel)

        self.tooDrySpin = QDoubleSpinBox(self.alarmsGroup)
        self.tooDrySpin.setObjectName(u"tooDrySpin")
        self.tooDrySpin.setMinimum(0.000000000000000)
        self.tooDrySpin.setMaximum(100.000000000000000)
        self.tooDrySpin.setDecimals(1)
        self.tooDrySpin.setSingleStep(0.500000000000000)
        self.tooDrySpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.alarmsForm.setWidget(2, QFormLayout.ItemRole.FieldRole, self.tooDrySpin)

        self.tooWetSpinLabel = QLabel(self.alarmsGroup)
        self.tooWetSpinLabel.setObjectName(u"tooWetSpinLabel")

        self.alarmsForm.setWidget(3, QFormLayout.ItemRole.LabelRole, self.tooWetSpinLabel)

        self.tooWetSpin = QDoubleSpinBox(self.alarmsGroup)
        self.tooWetSpin.setObjectName(u"tooWetSpin")
        self.tooWetSpin.setMinimum(0.000000000000000)
        self.tooWetSpin.setMaximum(100.000000000000000)
        self.tooWetSpin.setDecimals(1)
        self.tooWetSpin.setSingleStep(0.500000000000000)
        self.tooWetSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.alarmsForm.setWidget(3, QFormLayout.ItemRole.FieldRole, self.tooWetSpin)

        self.silentSpinLabel = QLabel(self.alarmsGroup)
        self.silentSpinLabel.setObjectName(u"silentSpinLabel")

        self.alarmsForm.setWidget(4, QFormLayout.ItemRole.LabelRole, self.silentSpinLabel)

        self.silentSpin = QSpinBox(self.alarmsGroup)
        self.silentSpin.setObjectName(u"silentSpin")
        self.silentSpin.setMinimum(10)
        self.silentSpin.setMaximum(86400)
        self.silentSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.alarmsForm.setWidget(4, QFormLayout.ItemRole.FieldRole, self.silentSpin)

        self.hysteresisCSpinLabel = QLabel(self.alarmsGroup)
        self.hysteresisCSpinLabel.setObjectName(u"hysteresisCSpinLabel")

        self.alarmsForm.setWidget(5, QFormLayout.ItemRole.LabelRole, self.hysteresisCSpinLabel)

        self.hysteresisCSpin = QDoubleSpinBox(self.alarmsGroup)
        self.hysteresisCSpin.setObjectName(u"hysteresisCSpin")
        self.hysteresisCSpin.setMinimum(0.000000000000000)
        self.hysteresisCSpin.setMaximum(20.000000000000000)
        self.hysteresisCSpin.setDecimals(1)
        self.hysteresisCSpin.setSingleStep(0.500000000000000)
        self.hysteresisCSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.alarmsForm.setWidget(5, QFormLayout.ItemRole.FieldRole, self.hysteresisCSpin)

        self.hysteresisPctSpinLabel = QLabel(self.alarmsGroup)
        self.hysteresisPctSpinLabel.setObjectName(u"hysteresisPctSpinLabel")

        self.alarmsForm.setWidget(6, QFormLayout.ItemRole.LabelRole, self.hysteresisPctSpinLabel)

        self.hysteresisPctSpin = QDoubleSpinBox(self.alarmsGroup)
        self.hysteresisPctSpin.setObjectName(u"hysteresisPctSpin")
        self.hysteresisPctSpin.setMinimum(0.000000000000000)
        self.hysteresisPctSpin.setMaximum(20.000000000000000)
        self.hysteresisPctSpin.setDecimals(1)
        self.hysteresisPctSpin.setSingleStep(0.500000000000000)
        self.hysteresisPctSpin.setAlignment(Qt.AlignRight|Qt.AlignVCenter)

        self.alarmsForm.setWidget(6, QFormLayout.ItemRole.FieldRole, self.hysteresisPctSpin)

        self.alarmsError = QLabel(self.alarmsGroup)
        self.alarmsError.setObjectName(u"alarmsError")
        self.alarmsError.setWordWrap(True)
        self.alarmsError.setStyleSheet(u"color: #c62828;")

        self.alarmsForm.setWidget(7, QFormLayout.ItemRole.SpanningRole, self.alarmsError)


        self.rightColumn.addWidget(self.alarmsGroup)

        self.rightSpacer = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.rightColumn.addItem(self.rightSpacer)


        self.columns.addLayout(self.rightColumn)

        self.scrollArea.setWidget(self.scrollContents)

        self.pageLayout.addWidget(self.scrollArea)

        self.buttonRow = QHBoxLayout()
        self.buttonRow.setObjectName(u"buttonRow")
        self.statusLabel = QLabel(SettingsPage)
        self.statusLabel.setObjectName(u"statusLabel")
        self.statusLabel.setWordWrap(True)

        self.buttonRow.addWidget(self.statusLabel)

        self.revertButton = QPushButton(SettingsPage)
        self.revertButton.setObjectName(u"revertButton")

        self.buttonRow.addWidget(self.revertButton)

        self.saveButton = QPushButton(SettingsPage)
        self.saveButton.setObjectName(u"saveButton")

        self.buttonRow.addWidget(self.saveButton)


        self.pageLayout.addLayout(self.buttonRow)

#if QT_CONFIG(shortcut)
        self.hostEditLabel.setBuddy(self.hostEdit)
        self.portSpinLabel.setBuddy(self.portSpin)
        self.dbNameEditLabel.setBuddy(self.dbNameEdit)
        self.userEditLabel.setBuddy(self.userEdit)
        self.passwordEditLabel.setBuddy(self.passwordEdit)
        self.urlEditLabel.setBuddy(self.urlEdit)
        self.mqttHostEditLabel.setBuddy(self.mqttHostEdit)
        self.mqttPortSpinLabel.setBuddy(self.mqttPortSpin)
        self.mqttUserEditLabel.setBuddy(self.mqttUserEdit)
        self.mqttPasswordEditLabel.setBuddy(self.mqttPasswordEdit)
        self.mqttTlsCheckLabel.setBuddy(self.mqttTlsCheck)
        self.mqttClientIdEditLabel.setBuddy(self.mqttClientIdEdit)
        self.dataTopicEditLabel.setBuddy(self.dataTopicEdit)
        self.statusTopicEditLabel.setBuddy(self.statusTopicEdit)
        self.esphomeTopicEditLabel.setBuddy(self.esphomeTopicEdit)
        self.tasmotaTopicEditLabel.setBuddy(self.tasmotaTopicEdit)
        self.staleSpinLabel.setBuddy(self.staleSpin)
        self.cnLowSpinLabel.setBuddy(self.cnLowSpin)
        self.cnTargetSpinLabel.setBuddy(self.cnTargetSpin)
        self.cnHighSpinLabel.setBuddy(self.cnHighSpin)
        self.massComboLabel.setBuddy(self.massCombo)
        self.temperatureComboLabel.setBuddy(self.temperatureCombo)
        self.volumeComboLabel.setBuddy(self.volumeCombo)
        self.tooHotSpinLabel.setBuddy(self.tooHotSpin)
        self.tooColdSpinLabel.setBuddy(self.tooColdSpin)
        self.tooDrySpinLabel.setBuddy(self.tooDrySpin)
        self.tooWetSpinLabel.setBuddy(self.tooWetSpin)
        self.silentSpinLabel.setBuddy(self.silentSpin)
        self.hysteresisCSpinLabel.setBuddy(self.hysteresisCSpin)
        self.hysteresisPctSpinLabel.setBuddy(self.hysteresisPctSpin)
#endif // QT_CONFIG(shortcut)

        self.retranslateUi(SettingsPage)
    # setupUi

    def retranslateUi(self, SettingsPage):
        self.titleLabel.setText(QCoreApplication.translate("SettingsPage", u"<b>Settings</b>", None))
        self.databaseGroup.setTitle(QCoreApplication.translate("SettingsPage", u"Database", None))
        self.embeddedRadio.setText(QCoreApplication.translate("SettingsPage", u"Embedded database on this PC (no server needed)", None))
        self.serverRadio.setText(QCoreApplication.translate("SettingsPage", u"The farm's PostgreSQL server", None))
        self.hostEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Host", None))
        self.hostEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"farm-server or 192.168.1.10", None))
        self.portSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Port", None))
        self.dbNameEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Database", None))
        self.dbNameEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"compost", None))
        self.userEditLabel.setText(QCoreApplication.translate("SettingsPage", u"User", None))
        self.userEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"compost", None))
        self.passwordEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Password", None))
        self.passwordEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"kept in the system keyring; empty keeps the stored one", None))
        self.urlRadio.setText(QCoreApplication.translate("SettingsPage", u"A database URL (advanced)", None))
        self.urlEditLabel.setText(QCoreApplication.translate("SettingsPage", u"URL", None))
        self.urlEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"postgresql+psycopg://user@host/db or sqlite:///path/file.db", None))
        self.urlError.setText("")
        self.testButton.setText(QCoreApplication.translate("SettingsPage", u"&Test connection", None))
        self.testResult.setText("")
        self.databaseNote.setText(QCoreApplication.translate("SettingsPage", u"A change of database takes effect the next time Compost Desktop starts.", None))
        self.mqttGroup.setTitle(QCoreApplication.translate("SettingsPage", u"Sensors (MQTT broker)", None))
        self.mqttHostEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Broker host", None))
        self.mqttHostEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"empty: built-in demo simulator", None))
        self.mqttPortSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Port", None))
        self.mqttUserEditLabel.setText(QCoreApplication.translate("SettingsPage", u"User", None))
        self.mqttUserEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"none", None))
        self.mqttPasswordEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Password", None))
        self.mqttPasswordEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"kept in the system keyring; empty keeps the stored one", None))
        self.mqttTlsCheckLabel.setText("")
        self.mqttTlsCheck.setText(QCoreApplication.translate("SettingsPage", u"Encrypt the connection (TLS)", None))
        self.mqttClientIdEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Client ID", None))
        self.mqttClientIdEdit.setPlaceholderText(QCoreApplication.translate("SettingsPage", u"automatic, stable for this PC", None))
        self.dataTopicEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Sensor data topic", None))
        self.statusTopicEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Node status topic", None))
        self.esphomeTopicEditLabel.setText(QCoreApplication.translate("SettingsPage", u"ESPHome topic", None))
        self.tasmotaTopicEditLabel.setText(QCoreApplication.translate("SettingsPage", u"Tasmota topic", None))
        self.staleSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Reading is stale after", None))
        self.staleSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" s", None))
        self.bandGroup.setTitle(QCoreApplication.translate("SettingsPage", u"Target C:N band", None))
        self.cnLowSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Lowest", None))
        self.cnLowSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" : 1", None))
        self.cnTargetSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Target", None))
        self.cnTargetSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" : 1", None))
        self.cnHighSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Highest", None))
        self.cnHighSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" : 1", None))
        self.bandError.setText("")
        self.bandNote.setText(QCoreApplication.translate("SettingsPage", u"Mixes inside the band show green; suggestions aim for the target.", None))
        self.unitsGroup.setTitle(QCoreApplication.translate("SettingsPage", u"Units", None))
        self.massComboLabel.setText(QCoreApplication.translate("SettingsPage", u"Mass", None))
        self.temperatureComboLabel.setText(QCoreApplication.translate("SettingsPage", u"Temperature", None))
        self.volumeComboLabel.setText(QCoreApplication.translate("SettingsPage", u"Volume", None))
        self.unitsNote.setText(QCoreApplication.translate("SettingsPage", u"Only what is shown changes; the database always keeps metric values.", None))
        self.alarmsGroup.setTitle(QCoreApplication.translate("SettingsPage", u"Alarms", None))
        self.tooHotSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Too hot above", None))
        self.tooHotSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" \u00b0C", None))
        self.tooColdSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Too cold (active pile) below", None))
        self.tooColdSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" \u00b0C", None))
        self.tooDrySpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Too dry below", None))
        self.tooDrySpin.setSuffix(QCoreApplication.translate("SettingsPage", u" %", None))
        self.tooWetSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Too wet above", None))
        self.tooWetSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" %", None))
        self.silentSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Sensor silent after", None))
        self.silentSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" s", None))
        self.hysteresisCSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Temperature hysteresis", None))
        self.hysteresisCSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" \u00b0C", None))
        self.hysteresisPctSpinLabel.setText(QCoreApplication.translate("SettingsPage", u"Moisture hysteresis", None))
        self.hysteresisPctSpin.setSuffix(QCoreApplication.translate("SettingsPage", u" %", None))
        self.alarmsError.setText("")
        self.statusLabel.setText("")
        self.revertButton.setText(QCoreApplication.translate("SettingsPage", u"&Revert", None))
#if QT_CONFIG(tooltip)
        self.revertButton.setToolTip(QCoreApplication.translate("SettingsPage", u"Undo the changes not saved yet", None))
#endif // QT_CONFIG(tooltip)
        self.saveButton.setText(QCoreApplication.translate("SettingsPage", u"&Save", None))
#if QT_CONFIG(tooltip)
        self.saveButton.setToolTip(QCoreApplication.translate("SettingsPage", u"Save and apply the settings (Ctrl+S)", None))
#endif // QT_CONFIG(tooltip)
        pass
    # retranslateUi

