/// TensorBoard `Event` protobufs (tensorboard/compat/proto/event.proto and summary.proto),
/// encoded field by field. Only the fields vaepipe writes are here.
public enum TensorBoardEvent {
    /// Field numbers, by message.
    enum Event { static let wallTime = 1, step = 2, fileVersion = 3, summary = 5, sessionLog = 7 }
    enum Summary { static let value = 1 }
    enum Value { static let tag = 1, simpleValue = 2, image = 4 }
    enum Image { static let height = 1, width = 2, colorspace = 3, encodedImageString = 4 }
    enum SessionLog { static let status = 1, start: Int64 = 1 }

    /// The first event of every file; "brain.Event:2" tells readers the file records restarts
    /// with SessionLog events rather than by steps going backwards.
    public static func fileVersion(wallTime: Double) -> [UInt8] {
        event(wallTime: wallTime, step: 0) { $0.string(Event.fileVersion, "brain.Event:2") }
    }

    /// Written at the start of every file, at the step the session starts from. A START after
    /// the first tells readers the run restarted: TensorBoard (purge_orphaned_data, its default)
    /// then drops the events at `step` or later that the interrupted run wrote after its last
    /// checkpoint. Newer readers ignore the first START of a run, older ones purge on every
    /// START; writing one per session, as TensorFlow's Supervisor did, suits both.
    public static func sessionStart(wallTime: Double, step: Int) -> [UInt8] {
        event(wallTime: wallTime, step: step) { e in
            e.message(Event.sessionLog) { $0.int64(SessionLog.status, SessionLog.start) }
        }
    }

    public static func scalar(_ tag: String, _ value: Float, step: Int, wallTime: Double) -> [UInt8] {
        summary(tag, step: step, wallTime: wallTime) { $0.float(Value.simpleValue, value) }
    }

    /// `png` is an encoded PNG; `channels` 1-4 is TensorBoard's colorspace (gray, gray+alpha,
    /// RGB, RGBA).
    public static func image(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int,
                             step: Int, wallTime: Double) -> [UInt8] {
        summary(tag, step: step, wallTime: wallTime) { v in
            v.message(Value.image) { i in
                i.int64(Image.height, Int64(height))
                i.int64(Image.width, Int64(width))
                i.int64(Image.colorspace, Int64(channels))
                i.lengthDelimited(Image.encodedImageString, png)
            }
        }
    }

    static func summary(_ tag: String, step: Int, wallTime: Double,
                        value: (inout ProtobufWriter) -> Void) -> [UInt8] {
        event(wallTime: wallTime, step: step) { e in
            e.message(Event.summary) { s in
                s.message(Summary.value) { v in
                    v.string(Value.tag, tag)
                    value(&v)
                }
            }
        }
    }

    static func event(wallTime: Double, step: Int, what: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var e = ProtobufWriter()
        e.double(Event.wallTime, wallTime)
        e.int64(Event.step, Int64(step))
        what(&e)
        return e.bytes
    }
}
