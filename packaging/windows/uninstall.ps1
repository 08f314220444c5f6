#Requires -Version 5.1
<#
.SYNOPSIS
    Removes the Attaka service and program. The data folder (%ProgramData%\Attaka: the
    database, backups, logs and configuration) stays unless -RemoveData is given.
#>
param(
    [switch]$RemoveData,
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

Assert-Administrator -Arguments $(if ($RemoveData) { @('-RemoveData') } else { @() })
$Exe = Join-Path $InstallDir 'attaka.exe'
$Config = Join-Path $DataDir 'attaka.toml'

if (Get-Service -Name 'Attaka' -ErrorAction SilentlyContinue) {
    & $Exe service uninstall
    if ($LASTEXITCODE -ne 0) { throw 'サービスを削除できませんでした。' }
}
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue (Join-Path $env:ProgramData 'Microsoft\Windows\Start Menu\Programs\Attaka')
# This script may itself be in $InstallDir: remove the folder after it has ended.
Start-Process -WindowStyle Hidden -FilePath 'cmd.exe' -ArgumentList "/c timeout /t 2 >nul & rmdir /s /q `"$InstallDir`""
if ($RemoveData) {
    Remove-Item -Recurse -Force $DataDir
    Write-Host "$DataDir を削除しました。"
} else {
    Write-Host "データは $DataDir に残しています。"
}
Write-Host 'Attaka を削除しました。'
