# ruff: noqa
# mypy: ignore-errors
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'material_dialog.ui'
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
from PySide6.QtWidgets import (QAbstractButton, QApplication, QComboBox, QDialog,
    QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
    QPlainTextEdit, QSizePolicy, QVBoxLayout, QWidget)

class Ui_MaterialDialog(object):
    def setupUi(self, MaterialDialog):
        if not MaterialDialog.objectName():
            MaterialDialog.setObjectName(u"MaterialDialog")
        MaterialDialog.resize(480, 420)
        MaterialDialog.setModal(True)
        self.dialogLayout = QVBoxLayout(MaterialDialog)
        self.dialogLayout.setObjectName(u"dialogLayout")
        self.formLayout = QFormLayout()
        self.formLayout.setObjectName(u"formLayout")
        self.formLayout.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.nameLabel = QLabel(MaterialDialog)
        self.nameLabel.setObjectName(u"nameLabel")

        self.formLayout.setWidget(0, QFormLayout.ItemRole.LabelRole, self.nameLabel)

        self.nameBox = QVBoxLayout()
        self.nameBox.setSpacing(2)
        self.nameBox.setObjectName(u"nameBox")
        self.nameEdit = QLineEdit(MaterialDialog)
        self.nameEdit.setObjectName(u"nameEdit")

        self.nameBox.addWidget(self.nameEdit)

        self.nameError = QLabel(MaterialDialog)
        self.nameError.setObjectName(u"nameError")
        self.nameError.setWordWrap(True)
        self.nameError.setStyleSheet(u"color: #c62828;")

        self.nameBox.addWidget(self.nameError)


        self.formLayout.setLayout(0, QFormLayout.ItemRole.FieldRole, self.nameBox)

        self.kindLabel = QLabel(MaterialDialog)
        self.kindLabel.setObjectName(u"kindLabel")

        self.formLayout.setWidget(1, QFormLayout.ItemRole.LabelRole, self.kindLabel)

        self.kindBox = QVBoxLayout()
        self.kindBox.setSpacing(2)
        self.kindBox.setObjectName(u"kindBox")
        self.kindCombo = QComboBox(MaterialDialog)
        self.kindCombo.setObjectName(u"kindCombo")

        self.kindBox.addWidget(self.kindCombo)


        self.formLayout.setLayout(1, QFormLayout.ItemRole.FieldRole, self.kindBox)

        self.cnLabel = QLabel(MaterialDialog)
        self.cnLabel.setObjectName(u"cnLabel")

        self.formLayout.setWidget(2, QFormLayout.ItemRole.LabelRole, self.cnLabel)

        self.cnBox = QVBoxLayout()
        self.cnBox.setSpacing(2)
        self.cnBox.setObjectName(u"cnBox")
        self.cnEdit = QLineEdit(MaterialDialog)
        self.cnEdit.setObjectName(u"cnEdit")

        self.cnBox.addWidget(self.cnEdit)

        self.cnError = QLabel(MaterialDialog)
        self.cnError.setObjectName(u"cnError")
        self.cnError.setWordWrap(True)
        self.cnError.setStyleSheet(u"color: #c62828;")

        self.cnBox.addWidget(self.cnError)


        self.formLayout.setLayout(2, QFormLayout.ItemRole.FieldRole, self.cnBox)

        self.nitrogenLabel = QLabel(MaterialDialog)
        self.nitrogenLabel.setObjectName(u"nitrogenLabel")

        self.formLayout.setWidget(3, QFormLayout.ItemRole.LabelRole, self.nitrogenLabel)

        self.nitrogenBox = QVBoxLayout()
        self.nitrogenBox.setSpacing(2)
        self.nitrogenBox.setObjectName(u"nitrogenBox")
        self.nitrogenEdit = QLineEdit(MaterialDialog)
        self.nitrogenEdit.setObjectName(u"nitrogenEdit")

        self.nitrogenBox.addWidget(self.nitrogenEdit)

        self.nitrogenError = QLabel(MaterialDialog)
        self.nitrogenError.setObjectName(u"nitrogenError")
        self.nitrogenError.setWordWrap(True)
        self.nitrogenError.setStyleSheet(u"color: #c62828;")

        self.nitrogenBox.addWidget(self.nitrogenError)


        self.formLayout.setLayout(3, QFormLayout.ItemRole.FieldRole, self.nitrogenBox)

        self.moistureLabel = QLabel(MaterialDialog)
        self.moistureLabel.setObjectName(u"moistureLabel")

        self.formLayout.setWidget(4, QFormLayout.ItemRole.LabelRole, self.moistureLabel)

        self.moistureBox = QVBoxLayout()
        self.moistureBox.setSpacing(2)
        self.moistureBox.setObjectName(u"moistureBox")
        self.moistureEdit = QLineEdit(MaterialDialog)
        self.moistureEdit.setObjectName(u"moistureEdit")

        self.moistureBox.addWidget(self.moistureEdit)

        self.moistureError = QLabel(MaterialDialog)
        self.moistureError.setObjectName(u"moistureError")
        self.moistureError.setWordWrap(True)
        self.moistureError.setStyleSheet(u"color: #c62828;")

        self.moistureBox.addWidget(self.moistureError)


        self.formLayout.setLayout(4, QFormLayout.ItemRole.FieldRole, self.moistureBox)

        self.densityLabel = QLabel(MaterialDialog)
        self.densityLabel.setObjectName(u"densityLabel")

        self.formLayout.setWidget(5, QFormLayout.ItemRole.LabelRole, self.densityLabel)

        self.densityBox = QVBoxLayout()
        self.densityBox.setSpacing(2)
        self.densityBox.setObjectName(u"densityBox")
        self.densityEdit = QLineEdit(MaterialDialog)
        self.densityEdit.setObjectName(u"densityEdit")

        self.densityBox.addWidget(self.densityEdit)

        self.densityError = QLabel(MaterialDialog)
        self.densityError.setObjectName(u"densityError")
        self.densityError.setWordWrap(True)
        self.densityError.setStyleSheet(u"color: #c62828;")

        self.densityBox.addWidget(self.densityError)


        self.formLayout.setLayout(5, QFormLayout.ItemRole.FieldRole, self.densityBox)

        self.sourceLabel = QLabel(MaterialDialog)
        self.sourceLabel.setObjectName(u"sourceLabel")

        self.formLayout.setWidget(6, QFormLayout.ItemRole.LabelRole, self.sourceLabel)

        self.sourceBox = QVBoxLayout()
        self.sourceBox.setSpacing(2)
        self.sourceBox.setObjectName(u"sourceBox")
        self.sourceEdit = QLineEdit(MaterialDialog)
        self.sourceEdit.setObjectName(u"sourceEdit")

        self.sourceBox.addWidget(self.sourceEdit)


        self.formLayout.setLayout(6, QFormLayout.ItemRole.FieldRole, self.sourceBox)

        self.notesLabel = QLabel(MaterialDialog)
        self.notesLabel.setObjectName(u"notesLabel")

        self.formLayout.setWidget(7, QFormLayout.ItemRole.LabelRole, self.notesLabel)

        self.notesEdit = QPlainTextEdit(MaterialDialog)
        self.notesEdit.setObjectName(u"notesEdit")
        self.notesEdit.setTabChangesFocus(True)
        self.notesEdit.setMaximumSize(QSize(16777215, 80))

        self.formLayout.setWidget(7, QFormLayout.ItemRole.FieldRole, self.notesEdit)


        self.dialogLayout.addLayout(self.formLayout)

        self.formError = QLabel(MaterialDialog)
        self.formError.setObjectName(u"formError")
        self.formError.setWordWrap(True)
        self.formError.setStyleSheet(u"color: #c62828;")

        self.dialogLayout.addWidget(self.formError)

        self.buttonBox = QDialogButtonBox(MaterialDialog)
        self.buttonBox.setObjectName(u"buttonBox")
        self.buttonBox.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Ok)

        self.dialogLayout.addWidget(self.buttonBox)

#if QT_CONFIG(shortcut)
        self.nameLabel.setBuddy(self.nameEdit)
        self.kindLabel.setBuddy(self.kindCombo)
        self.cnLabel.setBuddy(self.cnEdit)
        self.nitrogenLabel.setBuddy(self.nitrogenEdit)
        self.moistureLabel.setBuddy(self.moistureEdit)
        self.densityLabel.setBuddy(self.densityEdit)
        self.sourceLabel.setBuddy(self.sourceEdit)
        self.notesLabel.setBuddy(self.notesEdit)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.nameEdit, self.kindCombo)
        QWidget.setTabOrder(self.kindCombo, self.cnEdit)
        QWidget.setTabOrder(self.cnEdit, self.nitrogenEdit)
        QWidget.setTabOrder(self.nitrogenEdit, self.moistureEdit)
        QWidget.setTabOrder(self.moistureEdit, self.densityEdit)
        QWidget.setTabOrder(self.densityEdit, self.sourceEdit)
        QWidget.setTabOrder(self.sourceEdit, self.notesEdit)

        self.retranslateUi(MaterialDialog)
    # setupUi

    def retranslateUi(self, MaterialDialog):
        MaterialDialog.setWindowTitle(QCoreApplication.translate("MaterialDialog", u"Material", None))
        self.nameLabel.setText(QCoreApplication.translate("MaterialDialog", u"Name", None))
        self.nameEdit.setPlaceholderText(QCoreApplication.translate("MaterialDialog", u"e.g. Horse manure, with straw bedding", None))
        self.nameError.setText("")
        self.kindLabel.setText(QCoreApplication.translate("MaterialDialog", u"Kind", None))
        self.cnLabel.setText(QCoreApplication.translate("MaterialDialog", u"C:N ratio", None))
        self.cnEdit.setPlaceholderText(QCoreApplication.translate("MaterialDialog", u"carbon to nitrogen, e.g. 30 for 30:1", None))
        self.cnError.setText("")
        self.nitrogenLabel.setText(QCoreApplication.translate("MaterialDialog", u"Nitrogen (% of dry matter)", None))
        self.nitrogenEdit.setPlaceholderText(QCoreApplication.translate("MaterialDialog", u"e.g. 1.6 \u2014 leave empty if unknown", None))
        self.nitrogenError.setText("")
        self.moistureLabel.setText(QCoreApplication.translate("MaterialDialog", u"Moisture (% of wet mass)", None))
        self.moistureEdit.setPlaceholderText(QCoreApplication.translate("MaterialDialog", u"e.g. 72 \u2014 leave empty if unknown", None))
        self.moistureError.setText("")
        self.densityLabel.setText(QCoreApplication.translate("MaterialDialog", u"Bulk density (kg/m\u00b3)", None))
        self.densityEdit.setPlaceholderText(QCoreApplication.translate("MaterialDialog", u"e.g. 815 \u2014 needed to enter amounts in litres", None))
        self.densityError.setText("")
        self.sourceLabel.setText(QCoreApplication.translate("MaterialDialog", u"Source", None))
        self.sourceEdit.setPlaceholderText(QCoreApplication.translate("MaterialDialog", u"where the values come from: lab report, handbook\u2026", None))
        self.notesLabel.setText(QCoreApplication.translate("MaterialDialog", u"Notes", None))
        self.notesEdit.setPlaceholderText(QCoreApplication.translate("MaterialDialog", u"anything worth knowing: bedding type, supplier, season\u2026", None))
        self.formError.setText("")
    # retranslateUi

