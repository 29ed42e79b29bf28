; Inno Setup 6 script: a per-user installer for the PyInstaller folder
; dist\intulse-desktop\ (built by packaging\intulse-desktop.spec).
;
;   iscc /DAppVersion=0.1.0 packaging\windows\intulse-desktop.iss
;
; makes dist\intulse-desktop-0.1.0-windows-x64-setup.exe. It needs no
; administrator rights and installs to %LOCALAPPDATA%\Programs\Intulse Desktop.
; Silent roll-out (start at sign-in is on unless the task is left out):
;
;   intulse-desktop-0.1.0-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
;   ... /MERGETASKS="!startup"      without start at sign-in
;   ... /ALLUSERS                   for every user of the PC (run as administrator)

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z intulse-desktop.iss
#endif
#define AppName "Intulse Desktop"
#define AppExe "intulse-desktop.exe"

[Setup]
; The AppId identifies the app for upgrades and uninstall: never change it.
AppId={{C2918D32-6B91-492C-AC3F-33E653BF05CE}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Intulse Desktop authors
AppPublisherURL=https://www.intulse.com/
VersionInfoVersion={#AppVersion}
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=intulse-desktop-{#AppVersion}-windows-x64-setup
SetupIconFile=packaging\icons\intulse-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
; Per user, no UAC prompt; /ALLUSERS (or the dialog) installs for everyone instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; PySide6 6.x needs Windows 10 or later.
MinVersion=10.0
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
; An upgrade closes the running tray app first (Restart Manager), then starts it again.
CloseApplications=yes
RestartApplications=no

[Tasks]
Name: "startup"; Description: "Start {#AppName} when I sign in"; GroupDescription: "Start-up:"
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked

[Files]
Source: "dist\intulse-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle whole: no stale libraries from the old version.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; HKA is HKCU for a per-user install (HKLM with /ALLUSERS). The app's own
; "start at sign-in" setting must use the same key and value name, so the two agree.
Root: HKA; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#AppExe}"""; Flags: uninsdeletevalue; Tasks: startup

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName} now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; The tray app holds its files open; stop it so they can be removed.
Filename: "{sys}\taskkill.exe"; Parameters: "/IM {#AppExe} /F"; Flags: runhidden; RunOnceId: "StopApp"
