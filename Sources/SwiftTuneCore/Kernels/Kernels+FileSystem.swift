import CKernels

/// The bridge to CKernels' filesystem helper (st_fs.h), for ``FolderTransaction``.
extension Kernels {
    /// Atomically exchanges the directory entries at `from` and `to` (`st_rename_exchange`).
    /// - Returns: 0, or the errno value (`EINVAL`, `ENOSYS` or `ENOTSUP` where exchanging is unsupported).
    static func renameExchange(_ from: String, _ to: String) -> Int32 { st_rename_exchange(from, to) }
}
