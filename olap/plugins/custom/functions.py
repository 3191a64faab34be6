"""Allow-lists of the SQL guard: ClickHouse function names and sqlglot node types custom SQL may use.

Functions absent from these lists are rejected, so a function that reads files, hosts,
dictionaries, other tables or server state (file, url, s3, remote*, dictGet*, joinGet,
getSetting, hostName, input, executable, …) can only run if someone adds it here.
"""

from __future__ import annotations

from sqlglot import exp

# Aggregate functions, which may also carry the combinators below (sumIf, uniqArray, …).
AGGREGATE_FUNCTIONS = frozenset(
    name.lower()
    for name in (
        "count", "sum", "avg", "min", "max", "any", "anyLast", "argMin", "argMax",
        "uniq", "uniqExact", "uniqCombined", "uniqCombined64", "uniqHLL12", "uniqTheta",
        "groupArray", "groupUniqArray", "groupArraySorted", "groupBitAnd", "groupBitOr",
        "quantile", "quantiles", "quantileExact", "quantilesExact", "quantileTDigest",
        "quantilesTDigest", "quantileTiming", "quantileDeterministic", "median", "medianExact",
        "stddevPop", "stddevSamp", "varPop", "varSamp", "covarPop", "covarSamp", "corr",
        "topK", "topKWeighted", "histogram", "sumMap", "minMap", "maxMap", "entropy",
        "skewPop", "skewSamp", "kurtPop", "kurtSamp", "simpleLinearRegression",
        "windowFunnel", "retention", "sequenceMatch", "sequenceCount", "avgWeighted",
        "first_value", "last_value", "any_value", "countDistinct", "sumWithOverflow",
        "stddev", "variance", "uniqUpTo", "boundingRatio",
    )
)
AGGREGATE_COMBINATORS = ("If", "Array", "Distinct", "OrNull", "OrDefault", "ForEach")

SCALAR_FUNCTIONS = frozenset(
    name.lower()
    for name in (
        # window functions
        "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile",
        "lagInFrame", "leadInFrame", "nth_value", "lag", "lead",
        # conditionals and nulls
        "if", "multiIf", "ifNull", "nullIf", "coalesce", "isNull", "isNotNull", "assumeNotNull",
        "toNullable", "isFinite", "isNaN", "greatest", "least",
        # arithmetic and rounding
        "plus", "minus", "multiply", "divide", "intDiv", "intDivOrZero", "modulo", "negate",
        "abs", "round", "roundBankers", "floor", "ceil", "ceiling", "trunc", "truncate", "sqrt",
        "cbrt", "exp", "log", "ln", "log2", "log10", "pow", "power", "sign", "roundDown", "exp2",
        "exp10", "e", "pi",
        # type conversion
        "toString", "toInt8", "toInt16", "toInt32", "toInt64", "toUInt8", "toUInt16",
        "toUInt32", "toUInt64", "toFloat32", "toFloat64", "toDecimal32", "toDecimal64",
        "toDecimal128", "toBool", "toInt64OrNull", "toUInt64OrNull", "toFloat64OrNull",
        "toInt64OrZero", "toUInt64OrZero", "toFloat64OrZero", "toDateOrNull",
        "toDateTimeOrNull", "toTypeName", "reinterpretAsString", "toFixedString",
        # dates and times
        "now", "now64", "today", "yesterday", "toDate", "toDate32", "toDateTime",
        "toDateTime64", "toTimeZone", "toStartOfYear", "toStartOfQuarter", "toStartOfMonth",
        "toStartOfWeek", "toMonday", "toStartOfDay", "toStartOfHour", "toStartOfMinute",
        "toStartOfFiveMinutes", "toStartOfFifteenMinutes", "toStartOfTenMinutes",
        "toStartOfInterval", "toYear", "toQuarter", "toMonth", "toWeek", "toISOWeek",
        "toISOYear", "toDayOfYear", "toDayOfMonth", "toDayOfWeek", "toHour", "toMinute",
        "toSecond", "toYYYYMM", "toYYYYMMDD", "toYYYYMMDDhhmmss", "toUnixTimestamp",
        "fromUnixTimestamp", "fromUnixTimestamp64Milli", "toUnixTimestamp64Milli",
        "dateDiff", "date_diff", "dateAdd", "date_add", "dateSub", "date_sub", "dateTrunc",
        "date_trunc", "addSeconds", "addMinutes", "addHours", "addDays", "addWeeks",
        "addMonths", "addYears", "subtractSeconds", "subtractMinutes", "subtractHours",
        "subtractDays", "subtractWeeks", "subtractMonths", "subtractYears", "formatDateTime",
        "parseDateTimeBestEffort", "parseDateTimeBestEffortOrNull", "parseDateTime64BestEffort",
        "toRelativeDayNum", "toRelativeWeekNum", "toRelativeMonthNum", "toRelativeHourNum",
        "timeSlot", "toIntervalSecond", "toIntervalMinute", "toIntervalHour", "toIntervalDay",
        "toIntervalWeek", "toIntervalMonth", "toIntervalYear", "age", "timezoneOf",
        "toLastDayOfMonth", "dayOfWeek", "dayOfMonth", "year", "month", "quarter", "hour",
        "minute", "second",
        # strings
        "length", "lengthUTF8", "empty", "notEmpty", "lower", "upper", "lowerUTF8", "upperUTF8",
        "concat", "concatWithSeparator", "substring", "substr", "substringUTF8", "left",
        "right", "position", "positionCaseInsensitive", "locate", "startsWith", "endsWith",
        "trim", "trimLeft", "trimRight", "trimBoth", "leftPad", "rightPad", "replaceAll",
        "replaceOne", "replace", "replaceRegexpAll", "replaceRegexpOne", "match", "extract",
        "extractAll", "like", "notLike", "ilike", "splitByChar", "splitByString",
        "splitByRegexp", "arrayStringConcat", "format", "reverse", "repeat", "base64Encode",
        "hex", "countSubstrings", "domain", "path", "extractURLParameter",
        # hashes, useful to pseudonymise ids in a result
        "cityHash64", "sipHash64", "xxHash64", "murmurHash3_64", "farmHash64", "halfMD5",
        # arrays, tuples and maps
        "array", "arrayJoin", "arrayMap", "arrayFilter", "arrayCount", "arraySum", "arrayAvg",
        "arrayMin", "arrayMax", "arraySort", "arrayReverseSort", "arrayDistinct",
        "arrayEnumerate", "arrayEnumerateUniq", "arrayElement", "arraySlice", "arrayConcat",
        "arrayPushBack", "arrayPushFront", "arrayReverse", "arrayFlatten", "arrayZip",
        "arrayCumSum", "arrayUniq", "arrayExists", "arrayAll", "arrayFirst", "arrayLast",
        "arrayFirstIndex", "arrayReduce", "arrayCompact", "arrayDifference", "arrayResize",
        "has", "hasAll", "hasAny", "indexOf", "countEqual", "range", "emptyArrayUInt64",
        "tuple", "tupleElement", "untuple", "map", "mapKeys", "mapValues", "mapContains",
        # JSON text (the raw and attached_objectives columns)
        "JSONExtract", "JSONExtractString", "JSONExtractInt", "JSONExtractUInt",
        "JSONExtractFloat", "JSONExtractBool", "JSONExtractRaw", "JSONExtractArrayRaw",
        "JSONExtractKeys", "JSONHas", "JSONLength", "JSONType", "isValidJSON",
        "simpleJSONExtractString", "simpleJSONExtractInt", "simpleJSONExtractFloat",
        "simpleJSONExtractBool", "simpleJSONExtractRaw", "simpleJSONHas",
        # comparison and logic written as functions
        "equals", "notEquals", "less", "greater", "lessOrEquals", "greaterOrEquals", "and",
        "or", "not", "xor", "bar",
    )
)

# sqlglot node types a custom query may contain besides functions. Every other type (DDL,
# DML, SET, commands, placeholders, SAMPLE, PREWHERE, FINAL, …) is rejected.
SYNTAX_NODES: tuple[type[exp.Expression], ...] = (
    exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery, exp.With, exp.CTE,
    exp.TableAlias, exp.From, exp.Join, exp.Where, exp.Group, exp.Having, exp.Qualify,
    exp.Order, exp.Ordered, exp.Limit, exp.Offset, exp.Window, exp.WindowSpec, exp.Table,
    exp.Identifier, exp.Column, exp.Star, exp.Literal, exp.Null, exp.Boolean, exp.Alias,
    exp.Paren, exp.Tuple, exp.Bracket, exp.Dot, exp.Lambda, exp.Interval, exp.DataType,
    exp.DataTypeParam, exp.Var, exp.Distinct, exp.Between, exp.In, exp.Is, exp.Like,
    exp.ILike, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ,
    exp.NullSafeNEQ, exp.And, exp.Or, exp.Xor, exp.Not, exp.Neg, exp.Add, exp.Sub, exp.Mul,
    exp.Div, exp.IntDiv, exp.Mod, exp.BitwiseAnd, exp.BitwiseOr, exp.BitwiseXor,
    exp.BitwiseNot, exp.BitwiseLeftShift, exp.BitwiseRightShift, exp.DPipe, exp.Exists,
    exp.Any, exp.All, exp.Columns, exp.Case, exp.JSONPath, exp.JSONPathKey,
    exp.JSONPathRoot, exp.JSONPathSubscript, exp.RawString, exp.Slice,
)

# sqlglot's typed function nodes whose ClickHouse rendering calls only harmless functions.
TYPED_FUNCTIONS: tuple[type[exp.Func], ...] = (
    exp.Abs, exp.AnyValue, exp.ApproxDistinct, exp.ArgMax, exp.ArgMin, exp.Array,
    exp.ArrayAgg, exp.ArrayContains, exp.ArrayFilter, exp.ArraySize, exp.ArraySum,
    exp.ArrayUniqueAgg, exp.Avg, exp.Cast, exp.TryCast, exp.Ceil, exp.Coalesce, exp.Concat,
    exp.ConcatWs, exp.Corr, exp.Count, exp.CountIf, exp.CovarPop, exp.CovarSamp,
    exp.CurrentDate, exp.CurrentTimestamp, exp.DateAdd, exp.DateSub, exp.DateDiff,
    exp.DateTrunc, exp.TimestampTrunc, exp.TimestampAdd, exp.TimestampSub, exp.Explode,
    exp.Extract, exp.Floor, exp.Greatest, exp.Least, exp.If, exp.JSONExtract,
    exp.JSONExtractScalar, exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue,
    exp.Length, exp.Lower, exp.Upper, exp.Ln, exp.Log, exp.Exp, exp.Pow, exp.Sqrt, exp.Max,
    exp.Min, exp.Median, exp.Nullif, exp.Quantile, exp.Rank, exp.DenseRank, exp.RowNumber,
    exp.PercentRank, exp.CumeDist, exp.Ntile, exp.Round, exp.Split, exp.StartsWith,
    exp.EndsWith, exp.Stddev, exp.StddevPop, exp.StddevSamp, exp.Variance, exp.VariancePop,
    exp.Substring, exp.Sum, exp.TimeToStr, exp.Trim, exp.Struct, exp.VarMap, exp.RegexpLike,
    exp.StrPosition, exp.Anonymous, exp.AnonymousAggFunc, exp.ParameterizedAgg,
    exp.CombinedAggFunc, exp.CombinedParameterizedAgg, exp.ToChar, exp.UnixToTime,
    exp.TimeToUnix, exp.Date, exp.Xor, exp.Levenshtein, exp.Hex, exp.Reverse, exp.Repeat,
    exp.Left, exp.Right, exp.Sign, exp.Trunc, exp.GroupConcat, exp.Quarter, exp.Year,
    exp.Month, exp.Day, exp.DayOfWeek, exp.DayOfWeekIso, exp.DayOfMonth, exp.DayOfYear, exp.WeekOfYear,
    exp.LastDay, exp.ToDays, exp.StrToDate, exp.StrToTime, exp.TsOrDsToDate, exp.TimeStrToTime,
    exp.RegexpExtract, exp.RegexpReplace, exp.RegexpSplit, exp.Replace,
    exp.MD5, exp.SHA, exp.SHA2, exp.ArrayConcat, exp.ArrayFirst, exp.ArrayLast,
    exp.ArrayReverse, exp.ArraySlice, exp.Typeof, exp.ToBase64, exp.IsNan, exp.IsInf,
    exp.ArrayToString,
)

# Functions whose name the user writes and sqlglot keeps as text.
NAMED_FUNCTIONS = (exp.Anonymous, exp.AnonymousAggFunc, exp.ParameterizedAgg, exp.CombinedAggFunc, exp.CombinedParameterizedAgg)


def function_allowed(name: str) -> bool:
    """Return whether a ClickHouse function of this name is on the allow-list.

    Names compare case-insensitively: ClickHouse resolves some names either way, and a
    mis-cased name of an allowed function can only fail as unknown.
    """
    lowered = name.lower()
    return lowered in SCALAR_FUNCTIONS or lowered in AGGREGATE_FUNCTIONS or _is_combined_aggregate(lowered)


def _is_combined_aggregate(lowered: str, depth: int = 0) -> bool:
    """Return whether a lower-case name is an aggregate followed by up to three combinators."""
    if depth == 3:
        return False
    for suffix in AGGREGATE_COMBINATORS:
        suffix = suffix.lower()
        if lowered.endswith(suffix) and len(lowered) > len(suffix):
            base = lowered[: -len(suffix)]
            if base in AGGREGATE_FUNCTIONS or _is_combined_aggregate(base, depth + 1):
                return True
    return False
