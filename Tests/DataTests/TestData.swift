import Foundation
import XCTest

/// `<package root>/../shared/data/<sub>`, the package root found from this file's path.
func sharedData(_ sub: String) throws -> String {
    let root = URL(fileURLWithPath: #filePath)          // Tests/DataTests/TestData.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = root.deletingLastPathComponent().appendingPathComponent("shared/data/\(sub)").path
    guard FileManager.default.fileExists(atPath: dir) else {
        print("skipping: data folder \(dir) is absent")
        throw XCTSkip("data folder \(dir) is absent")
    }
    return dir
}

/// A fresh temporary file path.
func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("strata-data-tests-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}
