import Foundation
import SwiftTuneCore
import Testing

/// Holds ``LearningRateSchedule`` to the per-step rates transformers' Trainer produced
/// (Fixtures/schedulers/schedulers.json, written by Tools/generate_scheduler_fixtures.py).
@Suite("LearningRateSchedule")
struct LearningRateScheduleTests {
    struct FixtureFile: Decodable {
        struct Case: Decodable {
            let name: String
            let lr_scheduler_kwargs: [String: LearningRateScheduler.Argument]
            let warmup: [String: Double]
            let warmup_steps: Int
            let rates: [Double]
        }
        let format: String
        let version: Int
        let total_steps: Int
        let learning_rate: Double
        let cases: [Case]
    }

    static func fixture() throws -> FixtureFile {
        let url = try #require(Bundle.module.url(forResource: "schedulers", withExtension: "json", subdirectory: "Fixtures/schedulers"))
        let file = try JSONDecoder().decode(FixtureFile.self, from: Data(contentsOf: url))
        #expect(file.format == "swifttune-scheduler-fixture" && file.version == 1)
        return file
    }

    /// Every step of every case within 1e-12 relative (the warmup taken as the Trainer computes it from the
    /// configuration's warmup steps or ratio).
    @Test func matchesTransformersEveryStep() throws {
        let file = try Self.fixture()
        #expect(file.cases.count >= 40)
        var names = Set<String>()
        for c in file.cases {
            names.insert(c.name)
            var configuration = TrainingConfiguration()
            configuration.learningRate = file.learning_rate
            configuration.lrScheduler = try LearningRateScheduler(name: c.name, kwargs: c.lr_scheduler_kwargs)
            if let steps = c.warmup["steps"] { configuration.warmupSteps = Int(steps) }
            if let ratio = c.warmup["ratio"] { configuration.warmupRatio = ratio }
            try configuration.validate()
            let warmup = configuration.warmupSteps(totalSteps: file.total_steps)
            #expect(warmup == c.warmup_steps, "\(c.name) \(c.warmup): warmup \(warmup), transformers \(c.warmup_steps)")
            let schedule = LearningRateSchedule(scheduler: configuration.lrScheduler, peak: file.learning_rate,
                                                warmupSteps: warmup, totalSteps: file.total_steps)
            for (step, expected) in c.rates.enumerated() {
                let observed = schedule.rate(at: step)
                let error = Swift.abs(observed - expected) / max(Swift.abs(expected), 1e-300)
                #expect(observed == expected || error <= 1e-12,
                        "\(c.name) \(c.lr_scheduler_kwargs) warmup \(c.warmup) step \(step): expected \(expected), observed \(observed), relative error \(error), tolerance 1e-12")
            }
        }
        #expect(names == Set(LearningRateScheduler.names), "fixture covers \(names.sorted())")
    }

    /// `constant` has no warmup even when warmup is configured; the other schedules start at 0.
    @Test func constantIgnoresWarmup() {
        let constant = LearningRateSchedule(scheduler: .constant, peak: 2, warmupSteps: 5, totalSteps: 10)
        #expect((0..<10).map(constant.rate) == [Double](repeating: 2, count: 10))
        let warmed = LearningRateSchedule(scheduler: .constantWithWarmup, peak: 2, warmupSteps: 4, totalSteps: 10)
        #expect((0..<5).map(warmed.rate) == [0, 0.5, 1, 1.5, 2])
    }

    /// Names and keyword arguments round-trip through JSON as ms-swift's `lr_scheduler_type` / `lr_scheduler_kwargs`.
    @Test func configurationRoundTrip() throws {
        let schedulers: [LearningRateScheduler] = [
            .constant, .constantWithWarmup, .linear, .cosine(), .cosine(numCycles: 1.5), .cosineWithRestarts(numCycles: 2),
            .cosineWithMinLR(.rate(0.1)), .cosineWithMinLR(.absolute(1e-6)), .polynomial(lrEnd: 1e-6, power: 2),
            .inverseSqrt(), .inverseSqrt(timescale: 20),
            .warmupStableDecay(.init(numDecaySteps: 10, numStableSteps: 5, warmupType: .oneMinusSqrt, decayType: .linear, minLRRatio: 0.1)),
        ]
        for s in schedulers {
            var c = TrainingConfiguration()
            c.lrScheduler = s
            let decoded = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONEncoder().encode(c))
            #expect(decoded == c, "\(s)")
            let alone = try JSONDecoder().decode(LearningRateScheduler.self, from: JSONEncoder().encode(s))
            #expect(alone == s, "\(s)")
        }
        // A configuration written before schedules had arguments (a plain name) still decodes.
        let old = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(#"{"lr_scheduler_type": "linear"}"#.utf8))
        #expect(old.lrScheduler == .linear)
    }

    @Test func badNamesAndArgumentsAreNamed() {
        #expect(throws: LearningRateSchedulerError.unknownName("cosin")) { try LearningRateScheduler(name: "cosin") }
        #expect(throws: LearningRateSchedulerError.unsupportedName("reduce_lr_on_plateau")) {
            try LearningRateScheduler(name: "reduce_lr_on_plateau")
        }
        #expect(throws: LearningRateSchedulerError.missingArgument(scheduler: "warmup_stable_decay", key: "num_decay_steps")) {
            try LearningRateScheduler(name: "warmup_stable_decay")
        }
        #expect(throws: LearningRateSchedulerError.self) { try LearningRateScheduler(name: "linear", kwargs: ["power": .number(2)]) }
        #expect(throws: LearningRateSchedulerError.self) {
            try LearningRateScheduler(name: "cosine_with_min_lr", kwargs: ["min_lr": .number(1e-6), "min_lr_rate": .number(0.1)])
        }
        #expect(throws: LearningRateSchedulerError.self) {
            try LearningRateScheduler(name: "warmup_stable_decay", kwargs: ["num_decay_steps": .number(3), "decay_type": .string("exp")])
        }
        // A negative power, end or floor would make the rate unbounded or negative; each is named.
        for (name, kwargs) in [("polynomial", ["power": -1.0]), ("polynomial", ["lr_end": -1e-6]),
                               ("cosine_with_min_lr", ["min_lr": -1.0]), ("cosine_with_min_lr", ["min_lr_rate": 1.5]),
                               ("warmup_stable_decay", ["num_decay_steps": 2, "min_lr_ratio": -0.1])] {
            let key = kwargs.keys.first { $0 != "num_decay_steps" }!
            #expect(throws: LearningRateSchedulerError.invalidValue(
                scheduler: name, key: key, value: "\(kwargs[key]!)",
                reason: key == "min_lr_rate" || key == "min_lr_ratio" ? "must be in [0.0, 1.0]" : "must be ≥ 0.0")) {
                try LearningRateScheduler(name: name, kwargs: kwargs.mapValues { .number($0) })
            }
        }
        var c = TrainingConfiguration()
        c.learningRate = 1e-8
        c.lrScheduler = .polynomial()
        #expect(throws: LearningRateSchedulerError.self) { try c.validate() }
    }
}
