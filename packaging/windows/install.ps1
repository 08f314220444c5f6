#Requires -Version 5.1
<#
.SYNOPSIS
    Installs the Attaka centre node on this Windows PC as the service "Attaka".

.DESCRIPTION
    Run as an administrator from the unzipped bundle:
        powershell -ExecutionPolicy Bypass -File .\install.ps1 -Center C001
    - copies attaka.exe, the web app and the helper scripts to %ProgramFiles%\Attaka;
    - writes %ProgramData%\Attaka\attaka.toml from the sample on the first install (never over an
      existing one) and migrates the database there;
    - optionally creates the centre and its first administrator account;
    - registers the service (attaka service install: started with Windows as its own virtual
      account NT SERVICE\Attaka, restarted after a failure) and limits the data folder to that
      account and the Administrators (icacls);
    - starts it and checks http://127.0.0.1:8080/readyz; adds Start menu entries.
    Nothing is opened to the network: the node listens on 127.0.0.1 only and no firewall rule is
    added. Installing again upgrades the program and keeps the data and the configuration.

.PARAMETER Center
    The centre's code (C and three digits), required on the first install.
.PARAMETER CenterName
    With -Municipality and -OpenedOn: create (or update) the centre in the new database.
.PARAMETER AdminUser
    Create this centre administrator account (the password is asked for).
#>
param(
    [string]$Center,
    [string]$CenterName,
    [string]$Municipality,
    [string]$OperatorBody = '',
    [string]$OpenedOn,
    [string]$AdminUser,
    [string]$InstallDir = (Join-Path $env:ProgramFiles 'Attaka'),
    [string]$DataDir = (Join-Path $env:ProgramData 'Attaka')
)
$ErrorActionPreference = 'Stop'

# Runs again as an administrator when it was not started as one (a window asks for consent).
function Assert-Administrator {
    param([string[]]$Arguments)
    $identity = [Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object Security.Principal.WindowsPrincipal($identity)
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        $argList = @('-NoProfile', '-ExecutionPolicy', 'Bypass', '-File', "`"$PSCommandPath`"") + $Arguments
        Start-Process -FilePath 'powershell.exe' -Verb RunAs -ArgumentList $argList
        exit
    }
}

# attaka.exe with the installed configuration; stops the script when it fails. A plain
# function on purpose: its $args pass `--yes` and the like through untouched.
function Invoke-Attaka {
    & $Exe --config $Config @args
    if ($LASTEXITCODE -ne 0) {
        throw "attaka $($args -join ' ') が失敗しました（終了コード $LASTEXITCODE）。"
    }
}

# What PowerShell pipes into attaka.exe (a password) goes as UTF-8.
$OutputEncoding = New-Object Text.UTF8Encoding($false)

Assert-Administrator -Arguments ($MyInvocation.BoundParameters.GetEnumerator() | ForEach-Object { "-$($_.Key)"; "`"$($_.Value)`"" })

$Bundle = Split-Path -Parent $PSCommandPath
$Exe = Join-Path $InstallDir 'attaka.exe'
$Config = Join-Path $DataDir 'attaka.toml'

foreach ($item in @('attaka.exe', 'attaka.toml', 'web\index.html')) {
    if (-not (Test-Path (Join-Path $Bundle $item))) {
        throw "$item がありません。zip ファイルをすべて展開してから実行してください。"
    }
}
if (-not (Test-Path $Config) -and -not ($Center -match '^C\d{3}$')) {
    throw '初めてのインストールでは -Center にセンターのコード（例: C001）を指定してください。'
}

# 1. An installed service stops before its program is replaced.
if (Get-Service -Name 'Attaka' -ErrorAction SilentlyContinue) {
    Write-Host 'サービス Attaka を停止します…'
    & $Exe service stop
}

# 2. The program, the web app and the helper scripts.
Write-Host "プログラムを $InstallDir にコピーします…"
New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
Copy-Item -Force (Join-Path $Bundle 'attaka.exe') $InstallDir
$web = Join-Path $InstallDir 'web'
if (Test-Path $web) { Remove-Item -Recurse -Force $web }
Copy-Item -Recurse -Force (Join-Path $Bundle 'web') $web
foreach ($file in @('backup-to-usb.ps1', 'restore-from-usb.ps1', 'uninstall.ps1', 'install-windows.md', 'attaka.toml')) {
    $source = Join-Path $Bundle $file
    if (Test-Path $source) { Copy-Item -Force $source (Join-Path $InstallDir $file) }
}

# 3. The configuration (only on the first install) and the database.
New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
if (-not (Test-Path $Config)) {
    Write-Host "設定ファイル $Config を作成します…"
    $text = [IO.File]::ReadAllText((Join-Path $Bundle 'attaka.toml'), [Text.Encoding]::UTF8)
    $text = $text.Replace('@CENTER@', $Center)
    $text = $text.Replace("data_dir = 'C:\ProgramData\Attaka'", "data_dir = '$DataDir'")
    $text = $text.Replace("static_dir = 'C:\Program Files\Attaka\web'", "static_dir = '$web'")
    # UTF-8 without a byte order mark, as TOML wants.
    [IO.File]::WriteAllText($Config, $text, (New-Object Text.UTF8Encoding($false)))
}
Invoke-Attaka migrate
if ($CenterName) {
    if (-not $Municipality -or -not $OpenedOn) { throw '-CenterName には -Municipality と -OpenedOn も指定してください。' }
    $code = if ($Center) { $Center } else { (Select-String -Path $Config -Pattern '^center\s*=\s*"(C\d{3})"').Matches[0].Groups[1].Value }
    Invoke-Attaka admin center --code $code --name $CenterName --municipality $Municipality --operator-body $OperatorBody --opened-on $OpenedOn
}
if ($AdminUser) {
    $first = Read-Host -AsSecureString "$AdminUser のパスワード"
    $second = Read-Host -AsSecureString 'もう一度'
    $plain = [Runtime.InteropServices.Marshal]::PtrToStringBSTR([Runtime.InteropServices.Marshal]::SecureStringToBSTR($first))
    $again = [Runtime.InteropServices.Marshal]::PtrToStringBSTR([Runtime.InteropServices.Marshal]::SecureStringToBSTR($second))
    if ($plain -ne $again) { throw 'パスワードが一致しません。' }
    $plain | & $Exe --config $Config admin create-user --username $AdminUser --role center_admin
    if ($LASTEXITCODE -ne 0) { throw "アカウント $AdminUser を作成できませんでした。" }
    $plain = $null; $again = $null
}

# 4. The service, and the data folder's ACL (service account and Administrators only).
Invoke-Attaka service install
Invoke-Attaka service start

# 5. Is it serving?
$listen = (Select-String -Path $Config -Pattern '^listen\s*=\s*"([^"]+)"').Matches[0].Groups[1].Value
$url = "http://$listen/"
$ready = $false
foreach ($i in 1..60) {
    try {
        $answer = Invoke-WebRequest -UseBasicParsing -TimeoutSec 2 -Uri "$($url)readyz"
        if ($answer.StatusCode -eq 200) { $ready = $true; break }
    } catch { Start-Sleep -Seconds 1 }
}
if (-not $ready) {
    throw "サービスは起動しましたが $url に応答がありません。$DataDir\logs のログを確認してください。"
}

# 6. Start menu: the app, and the USB backup and restore.
$menu = Join-Path $env:ProgramData 'Microsoft\Windows\Start Menu\Programs\Attaka'
New-Item -ItemType Directory -Force -Path $menu | Out-Null
[IO.File]::WriteAllText((Join-Path $menu 'Attaka を開く.url'), "[InternetShortcut]`r`nURL=$url`r`n")
$shell = New-Object -ComObject WScript.Shell
$powershell = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
foreach ($entry in @(@('USB にバックアップ', 'backup-to-usb.ps1'), @('USB から復元', 'restore-from-usb.ps1'))) {
    $link = $shell.CreateShortcut((Join-Path $menu "$($entry[0]).lnk"))
    $link.TargetPath = $powershell
    $link.Arguments = "-NoProfile -ExecutionPolicy Bypass -File `"$(Join-Path $InstallDir $entry[1])`""
    $link.WorkingDirectory = $InstallDir
    $link.Save()
}

Write-Host ''
Write-Host "インストールが完了しました。Edge で $url を開いてください。"
Write-Host "データ: $DataDir（サービスのアカウントと管理者だけが読めます）"
