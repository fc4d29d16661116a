/// A 2-D convolution on NHWC images, lowered to GEMMs: cols[(B*Ho*Wo) x K] = im2col(x),
/// y = cols W + b with W stored [K x Cout], K = (ky, kx, Cin). The product's rows are output
/// pixels and its columns output channels, so y comes out NHWC with no transposes. The batch is
/// lowered a slice of examples at a time (see `BatchScratch`), so cols stays in cache between
/// the copy and the product. `height` and `width` are the input's spatial size.
public final class Conv2D: Layer, ReLUFusing, PartSummed {
    public let inChannels: Int, outChannels: Int
    public let height: Int, width: Int
    public let kernel: Int, stride: Int, padding: Int
    public let outputHeight: Int, outputWidth: Int
    public var inputSize: Int { height * width * inChannels }
    public var outputSize: Int { outputHeight * outputWidth * outChannels }

    private let geometry: ConvGeometry
    private var p: WeightsAndBias
    private let lowering: Lowering
    /// The windows of a slice of x in forward; in backward, once dW has used them, their gradients.
    private let cols: BatchScratch
    /// The input `cols` holds the windows of (when one slice held the whole batch), so backward
    /// can skip redoing forward's im2col.
    private var colsSource: (x: UnsafePointer<Float>, batch: Int)?
    /// A 1x1 stride-1 convolution's windows are its input's pixels: the GEMM reads x (and
    /// writes dx) in place, with no lowering copy.
    private let direct: Bool

    public init(inChannels: Int, outChannels: Int, height: Int, width: Int,
                kernel: Int = 4, stride: Int = 2, padding: Int = 1, examplesPerSlice: Int? = nil) {
        let outH = (height + 2 * padding - kernel) / stride + 1
        let outW = (width + 2 * padding - kernel) / stride + 1
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
                     "bad Conv2D: in \(inChannels) out \(outChannels) k \(kernel) s \(stride) p \(padding)")
        precondition(height + 2 * padding >= kernel && width + 2 * padding >= kernel,
                     "Conv2D: kernel \(kernel) does not fit a padded \(height)x\(width) input")
        self.inChannels = inChannels; self.outChannels = outChannels
        self.height = height; self.width = width
        self.kernel = kernel; self.stride = stride; self.padding = padding
        outputHeight = outH; outputWidth = outW
        geometry = ConvGeometry(height: height, width: width, channels: inChannels,
                                kernel: kernel, stride: stride, padding: padding,
                                gridHeight: outH, gridWidth: outW)
        p = WeightsAndBias(weights: geometry.windowSize * outChannels, outputs: outChannels)
        lowering = Lowering(geometry)
        cols = BatchScratch(perExample: geometry.gridSize * geometry.windowSize, slice: examplesPerSlice)
        direct = kernel == 1 && stride == 1 && padding == 0
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [kernel, kernel, inChannels, outChannels]),
         ParameterSpec(name: "bias", shape: [outChannels])]
    }

    public func bind(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        p.bind(values: values, gradients: gradients)
    }

    /// As PyTorch's nn.Conv2d, with fan_in = Cin * k * k.
    public func initialize(rng: inout SplitMix64) { p.initialize(fanIn: geometry.windowSize, rng: &rng) }

    public func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int) {
        forward(x, y, batch: batch, relu: false)
    }

    func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, relu: Bool) {
        colsSource = nil
        if direct {
            GEMM.multiply(m: batch * geometry.gridSize, n: outChannels, k: inChannels,
                          a: x, b: p.w, bias: p.b, activation: relu ? .relu : .none, c: y)
            return
        }
        for (first, count) in cols.slices(batch) {
            let c = cols.pointer(batch: count)
            lowering.im2col(x + first * inputSize, batch: count, into: c)
            GEMM.multiply(m: count * geometry.gridSize, n: outChannels, k: geometry.windowSize,
                          a: c, b: p.w, bias: p.b, activation: relu ? .relu : .none, c: y + first * outputSize)
            if count == batch { colsSource = (x, batch) }
        }
    }

    public func backward(
        _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>?, batch: Int, parts: BatchParts
    ) {
        let n = outChannels, k = geometry.windowSize, grid = geometry.gridSize
        p.accumulateBiasGradient(dy, rows: batch * grid, parts: parts, scale: grid)
        // The cached windows are valid when this backward follows the forward of the same x,
        // as in Sequential (which keeps x unchanged in between), and one slice held the whole
        // batch; any other call rebuilds them a slice at a time. Once dW has used a slice's
        // windows, the buffer holds their gradients instead.
        if direct {
            p.accumulateWeightGradient(parts: parts, groupSize: cols.slice) { examples, dw, beta in
                let rows = examples.count * grid, first = examples.lowerBound * inputSize
                let dySlice = dy + examples.lowerBound * outputSize
                GEMM.multiply(transA: true, m: k, n: n, k: rows, a: x + first, b: dySlice, beta: beta, c: dw)
                if let dx { GEMM.multiply(transB: true, m: rows, n: k, k: n, a: dySlice, b: p.w, c: dx + first) }
            }
            return
        }
        let cached = colsSource?.x == x && colsSource?.batch == batch
        colsSource = nil
        let buffer = cols.pointer(batch: cached ? batch : min(batch, cols.slice))
        p.accumulateWeightGradient(parts: parts, groupSize: cols.slice) { examples, dw, beta in
            let rows = examples.count * grid, dySlice = dy + examples.lowerBound * outputSize
            let c = cached ? buffer + examples.lowerBound * grid * k : buffer
            if !cached { lowering.im2col(x + examples.lowerBound * inputSize, batch: examples.count, into: c) }
            // dW (+)= cols^T dy ; dcols = dy W^T, scattered back into dx
            GEMM.multiply(transA: true, m: k, n: n, k: rows, a: c, b: dySlice, beta: beta, c: dw)
            guard let dx else { return }
            GEMM.multiply(transB: true, m: rows, n: k, k: n, a: dySlice, b: p.w, c: c)
            lowering.col2im(c, batch: examples.count, into: dx + examples.lowerBound * inputSize, start: .zero)
        }
    }
}
