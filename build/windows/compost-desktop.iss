; Inno Setup 6 script for Compost Desktop on Windows (x64).
;
; Build the bundle first (PyInstaller, on Windows), then compile this script:
;
;   bash build/make_dist.sh                       (with SKIP_DEB=1; or the pyinstaller line it runs)
;   iscc /DAppVersion=0.1.0 [/DSetupIcon=..\..\dist\compost-desktop.ico] build\windows\compost-desktop.iss
;
; Output: dist\compost-desktop-<version>-windows-x64-setup.exe. Paths are relative to this file.
; The installer defaults to a per-user install (no administrator rights, into
; %LOCALAPPDATA%\Programs); the user, or /ALLUSERS on the command line, can choose all users.
; Silent install and removal, as CI does it:
;   compost-desktop-0.1.0-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /CURRENTUSER /DIR="C:\somewhere"
;   "C:\somewhere\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; Uninstalling leaves the user's data (database, logs in %LOCALAPPDATA%\compost-desktop) alone.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef DistDir
  #define DistDir "..\..\dist\compost-desktop"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "Compost Desktop"
#define AppExe "compost-desktop.exe"

[Setup]
; AppId identifies the app to Windows for upgrades and removal: never change it.
AppId={{6F3A2C1E-8B4D-4E27-9A51-3D0C7B2E94F6}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Compost Desktop developers
AppComments=Plan, run and monitor compost batches
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=compost-desktop-{#AppVersion}-windows-x64-setup
#ifdef SetupIcon
; An .ico made from resources\icons\compost-desktop.png (CI makes it with Pillow).
SetupIconFile={#SetupIcon}
#endif
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle: compost-desktop.exe (the app, no console window),
; compost-desktop-cli.exe (the command line: db, mix, self-test, ...) and _internal\.
Source: "{#DistDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#StringChange(AppName, '&', '&&')}}"; Flags: nowait postinstall skipifsilent
