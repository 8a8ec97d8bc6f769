import Foundation

/// File-system failures as plain sentences naming the path ("a parent of the
/// run folder, /x/y, is a file, not a folder") instead of the operating
/// system's error codes ("NSCocoaErrorDomain error 512").
public enum FileSystemError {
    /// Why `path` could not be created or written, looking at the disk
    /// itself (which ancestor is a file, which folder is not writable), else
    /// from the error's POSIX code. `what`: "the run folder", "the checkpoint".
    public static func sentence(_ error: Error?, path: String, what: String) -> String {
        if let why = diagnose(path: path, what: what) { return why }
        if let code = posixCode(error) { return "cannot write \(what) \(path): \(reason(errno: code))" }
        return "cannot write \(what) \(path)"
    }

    /// The ancestor of `path` that makes it impossible to create: the nearest
    /// existing one is a file, or a folder this process may not write in.
    public static func diagnose(path: String, what: String) -> String? {
        let fm = FileManager.default
        var dir: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &dir) {
            if fm.isWritableFile(atPath: path) { return nil }
            return "\(what) \(path) exists but is not writable (permission denied)"
        }
        var ancestor = (path as NSString).deletingLastPathComponent
        while !ancestor.isEmpty {
            if fm.fileExists(atPath: ancestor, isDirectory: &dir) {
                if !dir.boolValue { return "cannot create \(what) \(path): a parent of it, \(ancestor), is a file, not a folder" }
                if !fm.isWritableFile(atPath: ancestor) {
                    return "cannot create \(what) \(path): no permission to write in \(ancestor)"
                }
                return nil
            }
            let up = (ancestor as NSString).deletingLastPathComponent
            if up == ancestor { break }
            ancestor = up
        }
        return nil
    }

    /// A Foundation file error (`NSCocoaErrorDomain ... Code=256/512/...`,
    /// or a POSIX one) as a sentence naming what could not be done to which
    /// path; nil for any other error. Every error exit passes errors through
    /// this, so the operating system's codes never reach a user.
    public static func words(_ error: Error) -> String? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
            ?? (ns.userInfo["NSURL"] as? URL)?.path
        let reading = ns.domain == NSCocoaErrorDomain && (256..<512).contains(ns.code)
        guard let path else {
            let why = posixCode(error).map { reason(errno: $0) } ?? "a file-system error"
            return reading ? "cannot read a file: \(why)" : "cannot write a file: \(why)"
        }
        if reading {
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) { return "cannot read \(path): no such file" }
            if isDir.boolValue { return "cannot read \(path): it is a folder, not a file" }
            return "cannot read \(path): \(posixCode(error).map { reason(errno: $0) } ?? "permission denied or unreadable")"
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue, ns.code != 516 {
            return "cannot write \(path): it is a folder, not a file"
        }
        return sentence(error, path: path, what: "the file")
    }

    /// A POSIX error number in words.
    public static func reason(errno code: Int32) -> String {
        switch code {
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "over the disk quota"
        case EROFS: return "the file system is read-only"
        case EACCES, EPERM: return "permission denied"
        case ENOTDIR: return "a parent of it is a file, not a folder"
        case EISDIR: return "it is a folder, not a file"
        case ENOENT: return "no such file or folder"
        case EEXIST: return "it already exists"
        case EIO: return "an input/output error from the device"
        case ENAMETOOLONG: return "the name is too long"
        default: return String(cString: strerror(code))
        }
    }

    /// The POSIX code behind a Foundation error, when it carries one.
    static func posixCode(_ error: Error?) -> Int32? {
        guard let error else { return nil }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, under.domain == NSPOSIXErrorDomain {
            return Int32(under.code)
        }
        switch ns.code {   // NSCocoaErrorDomain codes without an underlying POSIX error
        case 4, 260: return ENOENT
        case 257, 513: return EACCES
        case 640: return ENOSPC
        case 642: return EROFS
        case 516: return EEXIST
        default: return nil
        }
    }
}
