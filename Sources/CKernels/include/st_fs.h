// Filesystem helpers that Swift cannot call directly (variadic `syscall`), for SwiftTuneCore's FolderTransaction.
#ifndef ST_FS_H
#define ST_FS_H
#ifdef __cplusplus
extern "C" {
#endif
/// Atomically exchanges the directory entries `from` and `to` (both must exist, on one filesystem): Linux
/// `renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE)`, macOS `renamex_np(from, to, RENAME_SWAP)`.
/// Returns 0, or the errno value (EINVAL / ENOSYS / ENOTSUP where the system or filesystem cannot exchange).
int st_rename_exchange(const char *from, const char *to);
#ifdef __cplusplus
}
#endif
#endif
