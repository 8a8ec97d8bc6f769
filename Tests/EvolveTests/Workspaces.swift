import Evolve
import Foundation

/// One workspace per kernel for the whole test run (compiling the C and the
/// golden outputs costs about a second each).
enum Workspaces {
    nonisolated(unsafe) static var cache: [String: KernelWorkspace] = [:]
    static let lock = NSLock()

    static func get(_ kernel: KernelName, measure: FitnessMeasure = .runtime, repetitions: Int = 3) throws -> KernelWorkspace {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(kernel.rawValue)-\(measure.rawValue)-\(repetitions)"
        if let w = cache[key] { return w }
        let dir = NSTemporaryDirectory() + "strata-evolve-tests-\(getpid())/\(key)"
        let settings = EvaluationSettings(kernel: kernel, measure: measure, repetitions: repetitions)
        let w = try KernelWorkspace(settings: settings, toolchain: .debianLLVM14, directory: dir)
        cache[key] = w
        return w
    }
}
