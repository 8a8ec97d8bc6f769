import Foundation

/// The one LLVM toolchain GEVO uses: Debian bookworm's LLVM 14 (packages
/// llvm-14 and clang-14, 1:14.0.6), in /usr/lib/llvm-14/bin. The Swift
/// toolchain's clang is never used: its LLVM is another version, and IR from
/// one version is not promised to read in another.
public struct Toolchain: Sendable {
    public var binDirectory: String

    public static let debianLLVM14 = Toolchain(binDirectory: "/usr/lib/llvm-14/bin")

    public init(binDirectory: String) {
        self.binDirectory = binDirectory
    }

    public var clang: String { binDirectory + "/clang" }
    public var opt: String { binDirectory + "/opt" }
    public var llc: String { binDirectory + "/llc" }

    /// Throws a clear error when a tool is missing (Launch/common.sh installs them).
    public func check() throws {
        for tool in [clang, opt, llc] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw EvolveError("\(tool) not found: install Debian's llvm-14 and clang-14 (Launch/common.sh ensure_packages does)")
        }
    }
}

public struct EvolveError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One subprocess under a wall-clock limit, its output in files (no pipe to
/// fill and block on). A crash or an endless loop costs one evaluation.
struct Subprocess {
    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
    }

    struct Result {
        var outcome: Outcome
        var stdout: String
        var stderr: String
        var ok: Bool { outcome == .exited(0) }
    }

    static func run(_ executable: String, _ arguments: [String], in directory: String, timeout: Double) throws -> Result {
        let out = directory + "/.stdout", err = directory + "/.stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        defer { try? outHandle.close(); try? errHandle.close() }
        p.standardOutput = outHandle
        p.standardError = errHandle
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(p.processIdentifier, SIGKILL)
            done.wait()
        }
        let outcome: Outcome = timedOut ? .timedOut
            : p.terminationReason == .uncaughtSignal ? .signalled(p.terminationStatus) : .exited(p.terminationStatus)
        return Result(outcome: outcome,
                      stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
