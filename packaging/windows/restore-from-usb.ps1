#Requires -Version 5.1
<#
.SYNOPSIS
    Restores the Attaka database from a USB drive made by backup-to-usb.ps1.
.DESCRIPTION
    Start menu → Attaka → "USB から復元". Shows which generation it would take (the newest that
    still verifies; older ones are tried when a newer one is damaged), asks, stops the service,
    restores, and starts the service again. The database it replaces is kept beside it as
    attaka.sqlite3.before-restore-<time>, so a restore can be undone.
#>
param([string]$Drive)
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

Assert-Administrator -Arguments $(if ($Drive) { @('-Drive', $Drive) } else { @() })
$Exe = Join-Path $PSScriptRoot 'attaka.exe'
$Config = Join-Path (Join-Path $env:ProgramData 'Attaka') 'attaka.toml'

try {
    if (-not $Drive) {
        $usb = @(Get-Volume | Where-Object { $_.DriveType -eq 'Removable' -and $_.DriveLetter })
        if ($usb.Count -eq 1) {
            $Drive = "$($usb[0].DriveLetter):"
        } else {
            $Drive = Read-Host '復元元のドライブ（例: E:）'
        }
    }
    $Drive = $Drive.TrimEnd('\')
    $env:ATTAKA_BACKUP__DIR = "$Drive\AttakaBackup"
    if (-not (Test-Path $env:ATTAKA_BACKUP__DIR)) { throw "$env:ATTAKA_BACKUP__DIR がありません。" }
    Invoke-Attaka backup list
    Invoke-Attaka backup restore
    Write-Host ''
    Write-Host '復元すると、バックアップの後に入力したデータは失われます（今のデータベースは横に残ります）。' -ForegroundColor Yellow
    if ((Read-Host '復元するには yes と入力してください') -ne 'yes') { throw '中止しました。' }
    Invoke-Attaka service stop
    try {
        Invoke-Attaka backup restore --yes
    } finally {
        Invoke-Attaka service start
    }
    Write-Host ''
    Write-Host '復元が完了しました。Edge で Attaka を開き直してください。'
} catch {
    Write-Host "復元できませんでした: $_" -ForegroundColor Red
}
Read-Host 'Enter キーで閉じます'
