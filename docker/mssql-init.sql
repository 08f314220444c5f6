-- Creates the hub's database and its login with the least privilege the hub needs: owner of its
-- own database (it applies its migrations), nothing on the server (no sysadmin, no dbcreator).
-- Run once by the db-init service with sqlcmd -v HUB_PASSWORD=…; safe to run again.
IF DB_ID(N'attaka') IS NULL
    CREATE DATABASE attaka COLLATE Japanese_XJIS_140_CI_AS;
GO
IF SUSER_ID(N'attaka_hub') IS NULL
    CREATE LOGIN attaka_hub WITH PASSWORD = N'$(HUB_PASSWORD)', CHECK_POLICY = ON, DEFAULT_DATABASE = attaka;
GO
USE attaka;
GO
IF USER_ID(N'attaka_hub') IS NULL
    CREATE USER attaka_hub FOR LOGIN attaka_hub;
GO
ALTER ROLE db_owner ADD MEMBER attaka_hub;
GO
-- BACKUP DATABASE … TO DISK needs db_backupoperator (db_owner includes it); RESTORE is done
-- by the DBA's login (dbcreator), never by the hub itself: see docs/operator-runbook.md.
