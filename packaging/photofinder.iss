; Inno Setup script: the Windows installer around dist\photofinder\ (build-windows.ps1 runs it).
; Per-user install (no administrator rights), a Start menu entry, "Open with photofinder"
; for photos, and an uninstaller that leaves the user's index and settings alone.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6C1D3F52-1B7E-4C8B-9A53-7F0D2E4A9B11}
AppName=photofinder
AppVersion={#AppVersion}
AppPublisher=photofinder
DefaultDirName={localappdata}\Programs\photofinder
DefaultGroupName=photofinder
PrivilegesRequired=lowest
OutputDir=..\dist
OutputBaseFilename=photofinder-{#AppVersion}-windows-setup
SetupIconFile=..\build\icons\photofinder.ico
UninstallDisplayIcon={app}\photofinder.exe
Compression=lzma2/ultra64
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Files]
Source: "..\dist\photofinder\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\photofinder"; Filename: "{app}\photofinder.exe"
Name: "{userdesktop}\photofinder"; Filename: "{app}\photofinder.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "A desktop shortcut"; Flags: unchecked

[Registry]
; "Open with photofinder" for photos: a similar-photo search
Root: HKCU; Subkey: "Software\Classes\Applications\photofinder.exe\shell\open\command"; ValueType: string; ValueData: """{app}\photofinder.exe"" ""%1"""; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Applications\photofinder.exe\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Applications\photofinder.exe\SupportedTypes"; ValueType: string; ValueName: ".jpeg"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\photofinder.exe\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\photofinder.exe\SupportedTypes"; ValueType: string; ValueName: ".heic"; ValueData: ""

[Run]
Filename: "{app}\photofinder.exe"; Description: "Start photofinder"; Flags: nowait postinstall skipifsilent
