# Build the Windows bundle: dist\photofinder\ (the app folder) and, with Inno Setup 6
# installed, dist\photofinder-VERSION-windows-setup.exe (packaging\photofinder.iss).
# Run in PowerShell on Windows with Python 3.10+:  powershell -File packaging\build-windows.ps1
# The CPU-only torch keeps CUDA out; set $env:TORCH_PIP_ARGS to install it some other way.
# Not built on the Linux build machine: written to the same recipe (packaging\photofinder.spec).
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")
$venv = if ($env:BUILD_VENV) { $env:BUILD_VENV } else { "build\venv-windows" }
$torch = if ($env:TORCH_PIP_ARGS) { $env:TORCH_PIP_ARGS } else { "torch torchvision --index-url https://download.pytorch.org/whl/cpu" }
$started = Get-Date

if (-not (Test-Path "$venv\Scripts\pyinstaller.exe")) {
    py -3 -m venv $venv
    & "$venv\Scripts\pip" install -q $torch.Split(" ")
    & "$venv\Scripts\pip" install -q -e . "pyinstaller>=6" pyinstaller-hooks-contrib
}
# The app icon, from the PNG sizes in resources\ (Pillow writes .ico)
New-Item -ItemType Directory -Force build\icons | Out-Null
& "$venv\Scripts\python" -c "from PIL import Image; Image.open('resources/photofinder-256.png').save('build/icons/photofinder.ico', sizes=[(16,16),(24,24),(32,32),(48,48),(64,64),(128,128),(256,256)])"

& "$venv\Scripts\pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath build\pyinstaller packaging\photofinder.spec

$version = & "$venv\Scripts\python" -c "from importlib.metadata import version; print(version('photofinder'))"
$iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe"
if (Test-Path $iscc) {
    & $iscc "/DAppVersion=$version" packaging\photofinder.iss
} else {
    Write-Warning "Inno Setup 6 not found: dist\photofinder\ is built, the installer is not"
}
"built in {0:N0} s" -f ((Get-Date) - $started).TotalSeconds
