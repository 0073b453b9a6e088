using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ZeroCopy.Net.Tests.Native;

/// <summary>
/// Marks a static method returning <c>IEnumerable&lt;KeyValuePair&lt;string, long&gt;&gt;</c> of extra
/// managed values to compare with the C checks (for interop that is a method or a computation, not
/// a constant or a struct, e.g. CMSG_ALIGN). Any class in the test assembly may have them.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ManagedAbiValuesAttribute : Attribute
{
}

/// <summary>
/// The C# side of the ABI check, read from the library by reflection so that nothing here can
/// drift from the code: every integral const of <c>Interop.Linux</c>, every member of
/// <c>Interop.Linux.Errno</c>, every static readonly int (the epoll_event layout numbers), and the
/// size, field offsets and field sizes of every struct nested in <c>Interop.Linux</c>.
/// Names follow tests/native/abi_check.h.
/// </summary>
public static class ManagedAbi
{
    public static SortedDictionary<string, long> Collect()
    {
        var values = new SortedDictionary<string, long>(StringComparer.Ordinal);
        Type linux = typeof(Interop.Linux);
        const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

        foreach (FieldInfo field in linux.GetFields(Static))
        {
            if (field.IsLiteral && IsIntegral(field.FieldType))
            {
                values.Add(field.Name, ToInt64(field.GetRawConstantValue()!));
            }
            else if (field.IsInitOnly && field.FieldType == typeof(int))
            {
                values.Add(field.Name, (int)field.GetValue(null)!);
            }
        }

        foreach (Interop.Linux.Errno member in Enum.GetValues<Interop.Linux.Errno>())
        {
            values.Add("Errno." + member, (long)member);
        }

        foreach (Type nested in linux.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).Where(t => t.IsValueType && !t.IsEnum))
        {
            values.Add($"sizeof({nested.Name})", Marshal.SizeOf(nested));
            foreach (FieldInfo field in nested.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                values.Add($"offsetof({nested.Name}.{field.Name})", Marshal.OffsetOf(nested, field.Name).ToInt64());
                values.Add($"sizeof({nested.Name}.{field.Name})", SizeOfField(field.FieldType));
            }
        }

        IEnumerable<MethodInfo> extras = typeof(ManagedAbi).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(Static))
            .Where(m => m.GetCustomAttribute<ManagedAbiValuesAttribute>() is not null);
        foreach (MethodInfo method in extras)
        {
            foreach (KeyValuePair<string, long> kv in (IEnumerable<KeyValuePair<string, long>>)method.Invoke(null, null)!)
            {
                values.Add(kv.Key, kv.Value);
            }
        }

        return values;
    }

    [ManagedAbiValues]
    public static IEnumerable<KeyValuePair<string, long>> CmsgAlign()
    {
        for (nuint n = 0; n <= 40; n++)
        {
            yield return new($"CMSG_ALIGN({n})", (long)Interop.Linux.CMSG_ALIGN(n));
        }
    }

    private static long SizeOfField(Type type) =>
        type.IsPointer || type == typeof(nint) || type == typeof(nuint) ? IntPtr.Size : Marshal.SizeOf(type);

    private static bool IsIntegral(Type type) =>
        type == typeof(byte) || type == typeof(sbyte) || type == typeof(short) || type == typeof(ushort)
        || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong);

    // ulong above long.MaxValue wraps, exactly as C's (long long) cast in abi_check.h does.
    private static long ToInt64(object value) => value is ulong u ? unchecked((long)u) : Convert.ToInt64(value, CultureInfo.InvariantCulture);
}
