using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ZeroCopy.Net.Analyzers;

internal static class OperationHelpers
{
    /// <summary>Strips implicit conversions and parentheses.</summary>
    public static IOperation StripConversions(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion when conversion.IsImplicit || conversion.Conversion.IsUserDefined:
                    operation = conversion.Operand;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>Strips <c>await</c> and <c>.ConfigureAwait(x)</c> from an expression statement's value.</summary>
    public static IOperation StripAwait(IOperation operation)
    {
        operation = StripConversions(operation);
        if (operation is IAwaitOperation awaited)
        {
            operation = StripConversions(awaited.Operation);
        }

        if (operation is IInvocationOperation { TargetMethod.Name: "ConfigureAwait", Instance: { } instance })
        {
            operation = StripConversions(instance);
        }

        return operation;
    }

    /// <summary>The local, parameter or field an expression reads, if it is a plain reference.</summary>
    public static ISymbol? ReferencedSymbol(IOperation operation) => StripConversions(operation) switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
        IPropertyReferenceOperation { Instance: null or IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
        _ => null,
    };

    /// <summary>The argument bound to the parameter named <paramref name="name"/>, unless it was left to its default.</summary>
    public static IArgumentOperation? Argument(IInvocationOperation invocation, string name) => Argument(invocation.Arguments, name);

    /// <summary>The argument bound to the parameter named <paramref name="name"/>, unless it was left to its default.</summary>
    public static IArgumentOperation? Argument(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, string name)
    {
        foreach (IArgumentOperation argument in arguments)
        {
            if (argument.Parameter?.Name == name)
            {
                return argument.ArgumentKind == ArgumentKind.DefaultValue ? null : argument;
            }
        }

        return null;
    }

    /// <summary>Whether an enum argument is absent or the constant 0 (SocketFlags.None, TransmitFileOptions.UseDefaultWorkerThread).</summary>
    public static bool IsAbsentOrZero(IArgumentOperation? argument) =>
        argument is null ||
        (argument.Value.ConstantValue.HasValue && Convert.ToInt64(argument.Value.ConstantValue.Value, System.Globalization.CultureInfo.InvariantCulture) == 0);

    /// <summary>The root of the operation tree holding <paramref name="operation"/> (the method body).</summary>
    public static IOperation Root(IOperation operation)
    {
        IOperation root = operation;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        return root;
    }

    public static bool IsNullOrDefaultLiteral(IOperation operation)
    {
        IOperation stripped = StripConversions(operation);
        return stripped is IDefaultValueOperation ||
               (stripped is ILiteralOperation && stripped.ConstantValue.HasValue && stripped.ConstantValue.Value is null);
    }

    public static IEnumerable<IInvocationOperation> Invocations(IOperation root)
    {
        foreach (IOperation operation in root.DescendantsAndSelf())
        {
            if (operation is IInvocationOperation invocation)
            {
                yield return invocation;
            }
        }
    }
}
