#Requires -Version 5.1
<#
.SYNOPSIS
    Makes a verified backup of the Attaka database on a USB drive (in <drive>\AttakaBackup).
.DESCRIPTION
    Start menu → Attaka → "USB にバックアップ". The node may keep running. The newest generations
    (backup.keep) are kept on the drive; each has a .json beside it with its size and SHA-256.
    The drive then holds the people's data: use the centre's encrypted (BitLocker To Go) drive
    and keep it locked away.
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
            $Drive = Read-Host 'バックアップ先のドライブ（例: E:）'
        }
    }
    $Drive = $Drive.TrimEnd('\')
    if (-not (Test-Path "$Drive\")) { throw "ドライブ $Drive が見つかりません。USB メモリを差し込んでください。" }
    $env:ATTAKA_BACKUP__DIR = "$Drive\AttakaBackup"
    Write-Host "$env:ATTAKA_BACKUP__DIR にバックアップを作成しています…"
    Invoke-Attaka backup run
    Invoke-Attaka backup list
    Write-Host ''
    Write-Host 'バックアップが完了しました。タスクバーの「ハードウェアを安全に取り外す」から USB を取り外してください。'
} catch {
    Write-Host "バックアップできませんでした: $_" -ForegroundColor Red
}
Read-Host 'Enter キーで閉じます'
