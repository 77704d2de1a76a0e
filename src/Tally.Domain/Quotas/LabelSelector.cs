using System.Text.RegularExpressions;

namespace Tally.Domain.Quotas;

/// <summary>
/// F5 / Kubernetes label-selector expression, e.g. <c>env in (staging, testing), tier notin (db), app=web, !legacy</c>.
/// Requirements are comma-separated and all must hold. Operators: <c>=</c>, <c>==</c>, <c>!=</c>, <c>in</c>,
/// <c>notin</c>, existence (<c>key</c>) and absence (<c>!key</c>). <see cref="Parse"/> throws
/// <see cref="DomainValidationException"/> (field <c>label_filter</c>) for a malformed expression.
/// </summary>
public sealed partial class LabelSelector
{
    private readonly IReadOnlyList<Requirement> _requirements;

    private LabelSelector(IReadOnlyList<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector Everything { get; } = new([]);

    public static LabelSelector Parse(string? expression, string field = "label_filter")
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return Everything;
        }

        var parser = new Parser(expression, field);
        return new LabelSelector(parser.ParseAll());
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r.Matches(labels));

    private enum Op
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values)
    {
        public bool Matches(IReadOnlyDictionary<string, string> labels)
        {
            var has = labels.TryGetValue(Key, out var value);
            return Op switch
            {
                Op.Exists => has,
                Op.DoesNotExist => !has,
                Op.Equals or Op.In => has && Values.Contains(value!, StringComparer.Ordinal),
                _ => !has || !Values.Contains(value!, StringComparer.Ordinal),
            };
        }
    }

    private sealed class Parser(string text, string field)
    {
        private int _pos;

        public List<Requirement> ParseAll()
        {
            var result = new List<Requirement>();
            while (true)
            {
                result.Add(ParseRequirement());
                SkipSpace();
                if (_pos == text.Length)
                {
                    return result;
                }

                Expect(',');
            }
        }

        private Requirement ParseRequirement()
        {
            SkipSpace();
            if (Peek() == '!')
            {
                _pos++;
                SkipSpace();
                return new Requirement(ReadKey(), Op.DoesNotExist, []);
            }

            var key = ReadKey();
            SkipSpace();
            if (_pos == text.Length || Peek() == ',')
            {
                return new Requirement(key, Op.Exists, []);
            }

            if (Peek() == '=' || Peek() == '!')
            {
                var op = Op.Equals;
                if (Peek() == '!')
                {
                    _pos++;
                    op = Op.NotEquals;
                    Expect('=');
                }
                else
                {
                    _pos++;
                    if (Peek() == '=')
                    {
                        _pos++;
                    }
                }

                SkipSpace();
                return new Requirement(key, op, [ReadValue()]);
            }

            var word = ReadWord();
            var setOp = word switch
            {
                "in" => Op.In,
                "notin" => Op.NotIn,
                _ => throw Fail($"expected '=', '==', '!=', 'in' or 'notin' after '{key}'"),
            };
            SkipSpace();
            Expect('(');
            var values = new List<string>();
            while (true)
            {
                SkipSpace();
                var value = ReadValue();
                if (value.Length == 0)
                {
                    throw Fail("expected a value");
                }

                values.Add(value);
                SkipSpace();
                if (Peek() == ')')
                {
                    _pos++;
                    break;
                }

                Expect(',');
            }

            return new Requirement(key, setOp, values);
        }

        private string ReadKey()
        {
            var key = ReadWhile(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/');
            if (!KeyPattern().IsMatch(key))
            {
                throw Fail(key.Length == 0 ? "expected a label key" : $"'{key}' is not a valid label key");
            }

            return key;
        }

        private string ReadValue()
        {
            var value = ReadWhile(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
            if (value.Length > 63)
            {
                throw Fail($"label value '{Names.Truncate(value)}' is longer than 63 characters");
            }

            return value;
        }

        private string ReadWord() => ReadWhile(char.IsAsciiLetter);

        private string ReadWhile(Func<char, bool> accept)
        {
            var start = _pos;
            while (_pos < text.Length && accept(text[_pos]))
            {
                _pos++;
            }

            return text[start.._pos];
        }

        private char Peek() => _pos < text.Length ? text[_pos] : '\0';

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw Fail($"expected '{c}'");
            }

            _pos++;
        }

        private DomainValidationException Fail(string what) =>
            new(field, $"{field} is not a valid label selector: {what} at position {_pos + 1} of \"{Names.Truncate(text)}\".");
    }

    [GeneratedRegex("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
