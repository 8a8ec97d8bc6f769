// Placeholder so that the package loads on the `box` branch: Package.swift names
// the ShardingTests target, whose tests are not committed yet. Delete this file
// once Tests/ShardingTests holds real tests.
import XCTest
