package codec

// Test helpers shared with the external test package (codec_test).
var (
	DescribeOp       = describe
	DescribeClientOp = describeClient
)
