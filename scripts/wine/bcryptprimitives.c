/*
 * TEST-ONLY stand-in for Windows' bcryptprimitives.dll, for running attaka.exe under Wine 8.
 *
 * Rust's std (since 1.78) and getrandom 0.3 import ProcessPrng from bcryptprimitives.dll, which
 * every supported Windows has and Debian 12's Wine 8.0 lacks: without this file beside the exe,
 * Wine cannot start it (exit status 53, no output). scripts/windows-smoke.sh builds it into the
 * target directory next to the test build. It is NEVER part of the release bundle
 * (scripts/bundle-windows.sh refuses to ship it): a real Windows brings its own.
 *
 * ProcessPrng fills the buffer through RtlGenRandom (advapi32's SystemFunction036), in chunks
 * because that takes a 32-bit length. Like the real one it always reports success.
 *
 * Build: x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
