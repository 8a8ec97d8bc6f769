import Foundation

/// Making a run folder, or saying in words why not, before anything is written.
extension RunFolder {
    /// Why the run folder could not be made or written, in words, without
    /// making it (a refused run writes nothing): "a parent of it, /x, is a
    /// file, not a folder", "no permission to write in /y".
    public static func check(path: String) throws {
        var dir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &dir) {
            guard dir.boolValue else { throw InputError("the run folder \(path) is a file, not a folder; pick another --run-dir") }
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw InputError("the run folder \(path) is not writable (permission denied)")
            }
        } else if let why = FileSystemError.diagnose(path: path, what: "the run folder") {
            throw InputError(why)
        }
    }

    /// Creates the run folder (and its parents), or says in words why not.
    public static func prepare(path: String) throws {
        try check(path: path)
        if FileManager.default.fileExists(atPath: path) { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw InputError(FileSystemError.sentence(error, path: path, what: "the run folder"))
        }
    }
}
