import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { gql } from './gateway';

/** Runs a codegen'd typed document over HTTP, the way a frontend would; result types come from codegen. */
export async function run<TResult, TVariables extends Record<string, unknown>>(
  url: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
) {
  return gql<TResult>(url, print(document), variables);
}
